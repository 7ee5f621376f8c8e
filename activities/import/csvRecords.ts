import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/activity';
import { parse, type CsvError } from 'csv-parse';
import iconv from 'iconv-lite';
import { HALTED_TYPES } from '../../domain/failures';
import type { ImportRules } from '../../taskTypes/importRules';
import type { TaskType } from '../../taskTypes/taskType';

/**
 * Streams a CSV file as records keyed by task-type field, one at a time, so memory does
 * not grow with the file. Decoding problems and headers that do not match the mapping halt
 * the run (a person must fix the job or the file); a bad row is yielded as a rejection.
 */

/** A record longer than this is refused as a row, not buffered without bound. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

export type CsvItem =
  | { kind: 'row'; line: number; values: Record<string, string>; raw: string }
  | { kind: 'reject'; line: number; column?: string; reason: string; raw: string };

const halt = (message: string) => ApplicationFailure.nonRetryable(message, HALTED_TYPES.mappingMismatch);

/** A UTF-8 decoder that refuses invalid bytes instead of replacing them silently. */
function strictUtf8(fileName: string): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _enc, done) {
      try {
        const text = decoder.decode(chunk, { stream: true });
        offset += chunk.length;
        done(null, text);
      } catch {
        done(halt(`${fileName}: the bytes after offset ${offset} are not valid UTF-8, the job's encoding. Choose the file's real encoding (for example latin1 or windows-1252) or send a UTF-8 file.`));
      }
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(halt(`${fileName}: the file ends in the middle of a UTF-8 character.`));
      }
    },
  });
}

export function decodeStream(input: Readable, encoding: ImportRules['encoding'], fileName: string): NodeJS.ReadableStream {
  if (encoding === 'utf-8') return input.pipe(strictUtf8(fileName));
  return input.pipe(iconv.decodeStream(encoding, { stripBOM: true }));
}

/** Maps each header cell to a field name, or halts with what did not match. */
export function mapHeader(header: string[], taskType: TaskType, rules: ImportRules, fileName: string): (string | undefined)[] {
  const known = new Map(taskType.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const mapping = new Map(Object.entries(rules.mapping).map(([from, to]) => [from.trim().toLowerCase(), to]));
  const mapped = header.map((cell) => {
    const h = cell.trim().toLowerCase();
    return mapping.get(h) ?? known.get(h);
  });
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
function requiredFields(taskType: TaskType): string[] {
  const probe = taskType.rowSchema.safeParse(Object.fromEntries(taskType.fields.map((f) => [f.name, ''])));
  if (probe.success) return [];
  return [...new Set(probe.error.issues.map((i) => String(i.path[0])))].filter((f) => taskType.fields.some((x) => x.name === f));
}

/** The line a record starts on, from the line it ended on and its raw text. */
function startLine(endLine: number, raw: string): number {
  const trimmed = raw.replace(/\r?\n$/, '');
  let newlines = 0;
  for (let i = 0; i < trimmed.length; i++) if (trimmed.charCodeAt(i) === 10) newlines++;
  return endLine - newlines;
}

export async function* readCsvRecords(
  file: string,
  taskType: TaskType,
  rules: ImportRules,
  opts: { fromLine?: number } = {},
): AsyncGenerator<CsvItem> {
  const fileName = path.basename(file);
  const skipped: CsvItem[] = [];
  const parser = parse({
    delimiter: rules.delimiter,
    quote: rules.quote,
    bom: true,
    raw: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  parser.on('skip', (err: CsvError & { raw?: string }) => {
    const line = typeof err.lines === 'number' ? err.lines : 0;
    skipped.push({ kind: 'reject', line, reason: `not valid CSV: ${err.message}`, raw: (err.raw ?? '').slice(0, 10_000) });
  });
  const source = decodeStream(fs.createReadStream(file, { highWaterMark: 256 * 1024 }), rules.encoding, fileName);
  source.on('error', (e) => parser.destroy(e));
  source.pipe(parser);

  let columns: (string | undefined)[] | undefined = rules.header ? undefined : taskType.fields.map((f) => f.name);
  for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
    while (skipped.length) yield skipped.shift()!;
    const line = startLine(item.info.lines, item.raw);
    if (!columns) {
      columns = mapHeader(item.record, taskType, rules, fileName);
      continue;
    }
    if (opts.fromLine && line < opts.fromLine) continue;
    const raw = item.raw.replace(/\r?\n$/, '');
    if (item.record.length !== columns.length) {
      yield { kind: 'reject', line, reason: `expected ${columns.length} columns, found ${item.record.length}`, raw };
      continue;
    }
    const values: Record<string, string> = {};
    for (const [i, field] of columns.entries()) if (field) values[field] = item.record[i]!;
    yield { kind: 'row', line, values, raw };
  }
  while (skipped.length) yield skipped.shift()!;
  // An empty file yields nothing: like a header-only file, the run completes with a warning.
}
