import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { HALTED_TYPES } from '../../domain/failures';
import { jobFailure } from '../jobFailure';
import { openReadStream, type ReadOptions } from '../safeFiles';
import type { ImportRules } from '../../taskTypes/importRules';
import type { TaskType } from '../../taskTypes/taskType';
import { CsvParser, clip, type ParsedItem } from './csvParser';

/**
 * Streams a CSV file as records keyed by task-type field, one at a time, so memory does
 * not grow with the file. Decoding problems and headers that do not match the mapping halt
 * the run (a person must fix the job or the file); a bad row is yielded as a rejection.
 */

/**
 * Bytes read at a time: one chunk's records are one batch for the hot loop. Small enough that
 * a batch's objects die young (256 KB batches of about 2,400 rows were promoted to the old
 * generation and doubled the worker's peak RSS), large enough that reads cost nothing.
 */
const READ_CHUNK_BYTES = 64 * 1024;

/** A record longer than this is refused as a row, not buffered without bound. */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

export type CsvItem =
  | { kind: 'row'; line: number; values: Record<string, string>; raw: string }
  | { kind: 'reject'; line: number; column?: string; reason: string; raw: string };

const halt = (message: string) => jobFailure(message, HALTED_TYPES.mappingMismatch);

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(buf: Buffer): number {
  for (let i = 0; i < buf.length; ) {
    const b = buf[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0) return i;
    for (let k = 1; k < n; k++) {
      if (i + k >= buf.length) return buf.length; // cut by the chunk: the next one tells
      if ((buf[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += n;
  }
  return buf.length;
}

/** A UTF-8 decoder that refuses invalid bytes, naming the line, instead of replacing them silently. */
function strictUtf8(fileName: string): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  let line = 1;
  return new Transform({
    decodeStrings: true,
    readableObjectMode: true,
    // Decoded text waits here for the parser: a chunk or two, not sixteen (they would outlive
    // the young generation and fill the old one with garbage).
    readableHighWaterMark: 2,
    transform(chunk: Buffer, _enc, done) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        const bad = Math.min(firstInvalidUtf8(chunk), chunk.length - 1);
        let at = line;
        for (let i = 0; i < bad; i++) if (chunk[i] === 10) at++;
        // (lastIndexOf from a negative offset would search from the chunk's end.)
        const lineStart = bad > 0 ? chunk.lastIndexOf(10, bad - 1) + 1 : 0;
        done(halt(
          `${fileName} line ${at}: the bytes at offset ${offset + bad} (byte ${bad - lineStart + 1} of the line) are not valid UTF-8, the job's encoding. ` +
            'Choose the file\'s real encoding (for example latin1 or windows-1252) or send a UTF-8 file.',
        ));
        return;
      }
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) line++;
      offset += chunk.length;
      done(null, text);
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(halt(`${fileName} line ${line}: the file ends in the middle of a UTF-8 character.`));
      }
    },
  });
}

/** The file's text; a read that fails (stalled, refused, aborted) fails the text stream too (pipe alone would drop it). */
export function decodeStream(input: Readable, encoding: ImportRules['encoding'], fileName: string): NodeJS.ReadableStream {
  const out = encoding === 'utf-8' ? strictUtf8(fileName) : iconv.decodeStream(encoding, { stripBOM: true });
  input.once('error', (e) => (out as Transform).destroy(e));
  return input.pipe(out as Transform);
}

/** A source name (header cell, XML element or attribute) to its field: the job's mapping first, then the field's own name. */
export function fieldLookup(taskType: TaskType, rules: ImportRules): (name: string) => string | undefined {
  const known = new Map(taskType.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const mapping = new Map(Object.entries(rules.mapping).map(([from, to]) => [from.trim().toLowerCase(), to]));
  return (name) => {
    const h = name.trim().toLowerCase();
    return mapping.get(h) ?? known.get(h);
  };
}

/** Maps each header cell to a field name, or halts with what did not match. */
export function mapHeader(header: string[], taskType: TaskType, rules: ImportRules, fileName: string): (string | undefined)[] {
  const lookup = fieldLookup(taskType, rules);
  const mapped = header.map(lookup);
  // Replacement or control characters in the header mean the bytes were read with the wrong encoding.
  // eslint-disable-next-line no-control-regex
  if (header.some((h) => h.includes('\uFFFD') || /[\u0000-\u0008\u000E-\u001F]/.test(h))) {
    throw halt(`${fileName}: the header row is not readable text in the job's encoding (${rules.encoding}); check the encoding or send another file.`);
  }
  const seen = new Set<string>();
  for (const [i, field] of mapped.entries()) {
    if (!field) continue;
    if (seen.has(field)) throw halt(`${fileName}: the header maps two columns onto ${field} (column ${i + 1}, "${header[i]}").`);
    seen.add(field);
  }
  const missing = [taskType.key, ...requiredFields(taskType)].filter((f, i, all) => all.indexOf(f) === i && !seen.has(f));
  if (missing.length) {
    throw halt(
      `${fileName}: the header does not match the mapping: no column for ${missing.join(', ')}. ` +
        `Found: ${header.map((h) => `"${h}"`).join(', ')}. Change the mapping, the delimiter (${JSON.stringify(rules.delimiter)}) or the encoding, or send another file.`,
    );
  }
  return mapped;
}

/** Fields the row schema cannot do without (a missing column would reject every row). */
export function requiredFields(taskType: TaskType): string[] {
  const probe = taskType.rowSchema.safeParse(Object.fromEntries(taskType.fields.map((f) => [f.name, ''])));
  if (probe.success) return [];
  return [...new Set(probe.error.issues.map((i) => String(i.path[0])))].filter((f) => taskType.fields.some((x) => x.name === f));
}

export async function* readCsvRecords(
  file: string,
  taskType: TaskType,
  rules: ImportRules,
  read: ReadOptions,
): AsyncGenerator<CsvItem> {
  for await (const batch of readCsvBatches(file, taskType, rules, read)) yield* batch;
}

/**
 * readCsvRecords, a decoded chunk's records at a time (the hot loop's form: no await per row).
 * Each batch is parsed lazily as it is iterated, and must be iterated to its end before the next.
 */
export async function* readCsvBatches(
  file: string,
  taskType: TaskType,
  rules: ImportRules,
  read: ReadOptions,
): AsyncGenerator<Iterable<CsvItem>> {
  const fileName = path.basename(file);
  const parser = new CsvParser(rules.delimiter, rules.quote, MAX_RECORD_CHARS);
  const source = decodeStream(openReadStream(file, { chunkBytes: READ_CHUNK_BYTES, ...read }), rules.encoding, fileName);
  let columns: (string | undefined)[] | undefined = rules.header ? undefined : taskType.fields.map((f) => f.name);
  const blank = Object.fromEntries(taskType.fields.map((f) => [f.name, '']));

  function* handle(items: Iterable<ParsedItem>): Generator<CsvItem> {
    for (const item of items) {
      if (item.kind === 'error') {
        if (!columns) throw halt(`${fileName} line ${item.line}: the header row is not valid CSV (${item.reason}).`);
        const column = item.column === undefined ? undefined : (columns[item.column - 1] ?? `column ${item.column}`);
        yield { kind: 'reject', line: item.line, column, reason: `not valid CSV: ${item.reason}`, raw: item.raw };
        continue;
      }
      if (!columns) {
        columns = mapHeader(item.fields, taskType, rules, fileName);
        continue;
      }
      // PostgreSQL text cannot hold NUL: such a row is binary data, not text.
      if (item.raw.includes('\u0000')) {
        yield { kind: 'reject', line: item.line, reason: 'the row contains NUL bytes (binary data, or the wrong encoding)', raw: clip(item.raw.replaceAll('\u0000', '\\0')) };
        continue;
      }
      if (item.fields.length !== columns.length) {
        yield { kind: 'reject', line: item.line, reason: `expected ${columns.length} columns as in the header, found ${item.fields.length}`, raw: clip(item.raw) };
        continue;
      }
      // Fields without a column read as empty, as if the column were there and blank.
      const values: Record<string, string> = { ...blank };
      for (let i = 0; i < columns.length; i++) {
        const field = columns[i];
        if (field) values[field] = item.fields[i]!;
      }
      yield { kind: 'row', line: item.line, values, raw: item.raw };
    }
  }

  for await (const chunk of source as AsyncIterable<string>) yield handle(parser.push(chunk));
  yield handle(parser.end());
  // An empty file yields nothing: like a header-only file, the run completes with a warning.
}
