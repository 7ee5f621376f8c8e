/**
 * A streaming CSV parser that never loses a row to an error. csv-parse's error recovery
 * drops the records after an oversized or unclosed one; here a bad record is reported with
 * its line and text, and parsing carries on at the next line. Quotes inside an unquoted
 * field are kept as text (as Excel and PostgreSQL do). Line terminators: \n, \r\n, \r.
 */

export type ParsedItem =
  | { kind: 'record'; line: number; fields: string[]; raw: string }
  | { kind: 'error'; line: number; column?: number; reason: string; raw: string };

/** Rejected text is kept up to this many characters, so one huge line cannot fill the database. */
export const MAX_RAW_CHARS = 10_000;

/** Text cut to MAX_RAW_CHARS, with an ellipsis when it was longer. */
export const clip = (s: string) => (s.length > MAX_RAW_CHARS ? s.slice(0, MAX_RAW_CHARS) + '…' : s);
const CR = 13;
const LF = 10;

/** Line breaks in s (\r\n counts once). */
function countLines(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && s.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}

type Attempt =
  | { done: false }
  | { done: true; end: number; next: number; fields: string[]; newlines: number }
  | { done: true; end: number; next: number; error: string; column: number; newlines: number }
  | { done: true; unclosed: number };

export class CsvParser {
  private buf = '';
  private line = 1;
  private started = false;
  /** Set while discarding the rest of a line that passed the size limit. */
  private skipping?: { line: number; raw: string };
  private readonly delimCode: number;
  private readonly quoteCode: number;

  constructor(
    private readonly delimiter: string,
    private readonly quote: string,
    private readonly maxRecordChars: number,
  ) {
    this.delimCode = delimiter.charCodeAt(0);
    this.quoteCode = quote.charCodeAt(0);
  }

  /** The records a chunk completes, parsed one at a time as they are taken (so only the current one is alive). */
  *push(chunk: string): Generator<ParsedItem> {
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.skipping) {
      const nl = chunk.search(/[\r\n]/);
      if (nl < 0) return;
      const s = this.skipping;
      this.skipping = undefined;
      yield { kind: 'error', line: s.line, reason: `the line is longer than ${this.maxRecordChars} characters`, raw: s.raw };
      this.line += 1;
      chunk = chunk.slice(chunk.charCodeAt(nl) === CR && chunk.charCodeAt(nl + 1) === LF ? nl + 2 : nl + 1);
    }
    this.buf = this.buf ? this.buf + chunk : chunk;
    yield* this.drain(false);
  }

  *end(): Generator<ParsedItem> {
    if (this.skipping) {
      yield { kind: 'error', line: this.skipping.line, reason: `the line is longer than ${this.maxRecordChars} characters`, raw: this.skipping.raw };
      this.skipping = undefined;
    }
    yield* this.drain(true);
  }

  private *drain(final: boolean): Generator<ParsedItem> {
    let pos = 0;
    const buf = this.buf;
    const len = buf.length;
    // Where the next quote and carriage return are (-1: none left): a line with neither
    // before its \n is split at its delimiters, with what parseRecord would make of it.
    let nextQuote = buf.indexOf(this.quote);
    let nextCr = buf.indexOf('\r');
    while (pos < len) {
      const c = buf.charCodeAt(pos);
      if (c === LF || c === CR) {
        // An empty line: counted, not a record (a \r at the chunk's end may be half of \r\n).
        if (c === CR && pos + 1 === len && !final) break;
        pos += c === CR && buf.charCodeAt(pos + 1) === LF ? 2 : 1;
        this.line++;
        continue;
      }
      if (nextQuote >= 0 && nextQuote < pos) nextQuote = buf.indexOf(this.quote, pos);
      if (nextCr >= 0 && nextCr < pos) nextCr = buf.indexOf('\r', pos);
      const lf = buf.indexOf('\n', pos);
      if (lf >= 0 && (nextQuote < 0 || nextQuote > lf) && (nextCr < 0 || nextCr > lf)) {
        const raw = buf.slice(pos, lf);
        this.line++;
        pos = lf + 1;
        yield { kind: 'record', line: this.line - 1, fields: raw.split(this.delimiter), raw };
        continue;
      }
      const a = this.parseRecord(buf, pos, final);
      if (!a.done) {
        if (len - pos > this.maxRecordChars) {
          yield* this.oversized(buf, pos);
          return;
        }
        break;
      }
      if ('unclosed' in a) {
        // Report the record's first line and parse again from the line after it.
        const nl = buf.slice(pos).search(/[\r\n]/);
        const lineEnd = nl < 0 ? len : pos + nl;
        yield { kind: 'error', line: this.line, column: a.unclosed, reason: `column ${a.unclosed}: a quote opens here and is never closed`, raw: clip(buf.slice(pos, lineEnd)) };
        pos = lineEnd;
        continue;
      }
      const raw = buf.slice(pos, a.end);
      if ('error' in a) yield { kind: 'error', line: this.line, column: a.column, reason: a.error, raw: clip(raw) };
      else yield { kind: 'record', line: this.line, fields: a.fields, raw };
      this.line += a.newlines;
      pos = a.next;
    }
    this.buf = buf.slice(pos);
  }

  /** A record past the size limit: its first line is rejected, and parsing resumes after it. */
  private *oversized(buf: string, pos: number): Generator<ParsedItem> {
    const nl = buf.slice(pos).search(/[\r\n]/);
    if (nl < 0) {
      this.skipping = { line: this.line, raw: clip(buf.slice(pos)) };
      this.buf = '';
      return;
    }
    yield { kind: 'error', line: this.line, reason: `the record is longer than ${this.maxRecordChars} characters (an unclosed quote?)`, raw: clip(buf.slice(pos, pos + nl)) };
    this.buf = buf.slice(pos + nl);
    yield* this.drain(false);
  }

  private isDelim(buf: string, i: number): boolean {
    return buf.charCodeAt(i) === this.delimCode && (this.delimiter.length === 1 || buf.startsWith(this.delimiter, i));
  }

  /** One record from pos: its fields and where the next begins, or not done yet. */
  private parseRecord(buf: string, pos: number, final: boolean): Attempt {
    const fields: string[] = [];
    const len = buf.length;
    const dl = this.delimiter.length;
    let i = pos;
    let newlines = 0;
    for (;;) {
      if (buf.charCodeAt(i) === this.quoteCode) {
        const column = fields.length + 1;
        let value = '';
        let j = i + 1;
        for (;;) {
          const k = buf.indexOf(this.quote, j);
          if (k < 0) return final ? { done: true, unclosed: column } : { done: false };
          if (k + 1 >= len && !final) return { done: false };
          if (buf.charCodeAt(k + 1) === this.quoteCode) {
            value += buf.slice(j, k + 1);
            j = k + 2;
            continue;
          }
          value += buf.slice(j, k);
          newlines += countLines(buf, i, k);
          i = k + 1;
          break;
        }
        fields.push(value);
        if (i >= len) return final ? { done: true, end: i, next: i, fields, newlines } : { done: false };
        if (this.isDelim(buf, i)) {
          i += dl;
          continue;
        }
        const c = buf.charCodeAt(i);
        if (c === LF || c === CR) return this.terminate(buf, i, final, fields, newlines);
        // Text after a closing quote: the record is rejected up to the end of its line.
        let e = i;
        while (e < len && buf.charCodeAt(e) !== LF && buf.charCodeAt(e) !== CR) e++;
        if (e >= len && !final) return { done: false };
        const t = this.terminate(buf, e, final, fields, newlines);
        if (!t.done || !('fields' in t)) return t;
        return { done: true, end: e, next: t.next, newlines: t.newlines, column, error: `column ${column}: unexpected text after the closing quote` };
      }
      // An unquoted field runs to the next delimiter or line end.
      let j = i;
      while (j < len) {
        const c = buf.charCodeAt(j);
        if (c === LF || c === CR || (c === this.delimCode && (dl === 1 || buf.startsWith(this.delimiter, j)))) break;
        j++;
      }
      if (j >= len && !final) return { done: false };
      fields.push(buf.slice(i, j));
      if (j >= len) return { done: true, end: j, next: j, fields, newlines };
      if (buf.charCodeAt(j) === LF || buf.charCodeAt(j) === CR) return this.terminate(buf, j, final, fields, newlines);
      i = j + dl;
    }
  }

  private terminate(buf: string, i: number, final: boolean, fields: string[], newlines: number): Attempt {
    if (i >= buf.length) return { done: true, end: i, next: i, fields, newlines };
    if (buf.charCodeAt(i) === CR) {
      if (i + 1 >= buf.length && !final) return { done: false };
      return { done: true, end: i, next: buf.charCodeAt(i + 1) === LF ? i + 2 : i + 1, fields, newlines: newlines + 1 };
    }
    return { done: true, end: i, next: i + 1, fields, newlines: newlines + 1 };
  }
}
