import path from 'node:path';
import iconv from 'iconv-lite';
import { NotRegularFileError, OutsideAreaError, readHead, type ReadOptions } from '../safeFiles';
import { importRulesSchema, type ImportRules } from '../../taskTypes/importRules';
import { parseWithSchema, type TaskType } from '../../taskTypes/taskType';
import { CsvParser } from './csvParser';
import { MAX_RECORD_CHARS, fieldLookup, requiredFields } from './csvRecords';
import { readXmlRecords } from './xmlRecords';

/**
 * Sampling (PRODUCT.md, Data rules; issue 4 §4): from a sample file, propose how to read it.
 *
 *   sampleFile(file, taskType, read, partial?, opts?) → Promise<SamplingResult>
 *
 * - file: absolute path of the sample; read: how to open it (io/safeFiles.ts: the area it
 *   must lie in, the stall bound, the abort signal). A file outside the area or not a
 *   regular file is refused (OutsideAreaError, NotRegularFileError), not sampled.
 * - taskType: the job's task type. partial: rules the administrator already chose; they
 *   are kept as given (an explicit encoding or delimiter is not second-guessed, and their
 *   mapping entries win over proposed ones).
 * - Returns proposedRules (complete ImportRules, ready to save with the job), the
 *   header cells found, preview rows (the first opts.previewRows records, each with its
 *   line and either its typed values or the reason it would be rejected), and problems:
 *   sentences an administrator can act on. No problems means the job can move to ready;
 *   any problem means sampling_failed with those sentences as the reasons.
 * It reads only the first opts.sampleBytes of the file (256 KiB by default) and never throws
 * for a bad sample: what is wrong with it is a problem, not an exception.
 */

export interface PreviewRow {
  line: number;
  values?: Record<string, string | number | null>;
  rejected?: { column?: string; reason: string };
}

export interface SamplingResult {
  proposedRules: ImportRules;
  headers: string[];
  preview: PreviewRow[];
  problems: string[];
}

export interface SamplingOptions {
  previewRows?: number;
  sampleBytes?: number;
}

const DELIMITERS = [',', ';', '\t', '|'] as const;
const norm = (s: string) => s.toLowerCase().replace(/[\s_\-.]+/g, '');
const show = (d: string) => (d === '\t' ? 'tab' : `"${d}"`);

/** The encoding the bytes are most likely in: BOM, UTF-16 without BOM, valid UTF-8, else a single-byte one. */
export function detectEncoding(bytes: Buffer, complete: boolean): ImportRules['encoding'] {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  // Text in UTF-16 without a BOM: ASCII characters leave zero bytes on one side.
  let evenZeros = 0;
  let oddZeros = 0;
  const n = Math.min(bytes.length, 4096);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== 0) continue;
    if (i % 2 === 0) evenZeros++;
    else oddZeros++;
  }
  if (oddZeros > n / 4 && evenZeros < n / 50) return 'utf-16le';
  if (evenZeros > n / 4 && oddZeros < n / 50) return 'utf-16be';
  try {
    // A sample cut from a longer file may end mid-character: drop up to 3 trailing bytes.
    let end = bytes.length;
    if (!complete) while (end > 0 && end > bytes.length - 3 && (bytes[end - 1]! & 0xc0) === 0x80) end--;
    if (!complete && end > 0 && bytes[end - 1]! >= 0xc0) end--;
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
    return 'utf-8';
  } catch {
    // 0x80-0x9F are printable in Windows-1252 (€, “, ”, –) and control codes in Latin-1.
    return bytes.some((b) => b >= 0x80 && b <= 0x9f) ? 'windows-1252' : 'latin1';
  }
}

function records(text: string, delimiter: string, quote: string, max: number) {
  const p = new CsvParser(delimiter, quote, MAX_RECORD_CHARS);
  const out = [];
  for (const item of p.push(text)) {
    out.push(item);
    if (out.length >= max) return out;
  }
  for (const item of p.end()) if (out.length < max) out.push(item);
  return out;
}

/** The delimiter that splits the first lines into the same number (more than one) of fields. */
export function detectDelimiter(text: string, quote = '"'): string | undefined {
  let best: { d: string; score: number } | undefined;
  for (const d of DELIMITERS) {
    const recs = records(text, d, quote, 20).filter((r) => r.kind === 'record');
    if (!recs.length) continue;
    const counts = recs.map((r) => (r.kind === 'record' ? r.fields.length : 0));
    const width = counts[0]!;
    if (width < 2) continue;
    const consistent = counts.filter((c) => c === width).length / counts.length;
    const score = consistent * 100 + width;
    if (!best || score > best.score) best = { d, score };
  }
  return best?.d;
}

/** Proposes a field for each header cell: exact name, then aliases, ignoring case, spaces and underscores. */
export function proposeMapping(headers: string[], taskType: TaskType, given: Record<string, string> = {}): Record<string, string> {
  const byName = new Map<string, string>();
  for (const f of taskType.fields) {
    byName.set(norm(f.name), f.name);
    byName.set(norm(f.column), f.name);
  }
  const byAlias = new Map<string, string>();
  for (const f of taskType.fields) for (const a of f.aliases ?? []) if (!byAlias.has(norm(a))) byAlias.set(norm(a), f.name);
  const givenLower = new Map(Object.entries(given).map(([k, v]) => [k.trim().toLowerCase(), v]));
  const taken = new Set<string>(Object.values(given));
  const mapping: Record<string, string> = { ...given };
  for (const h of headers) {
    if (givenLower.has(h.trim().toLowerCase())) continue;
    const field = byName.get(norm(h)) ?? byAlias.get(norm(h));
    if (!field || taken.has(field)) continue;
    taken.add(field);
    // Only headers the run would not recognise by themselves need an entry.
    if (h.trim().toLowerCase() !== field.toLowerCase()) mapping[h.trim()] = field;
  }
  return mapping;
}

export async function sampleFile(file: string, taskType: TaskType, read: ReadOptions, partial: Partial<ImportRules> = {}, opts: SamplingOptions = {}): Promise<SamplingResult> {
  const previewRows = opts.previewRows ?? 10;
  const sampleBytes = opts.sampleBytes ?? 256 * 1024;
  const name = path.basename(file);
  const problems: string[] = [];
  const fallback = importRulesSchema.parse({ ...partial, mapping: partial.mapping ?? {} });
  let bytes: Buffer;
  let complete: boolean;
  try {
    ({ bytes, complete } = await readHead(file, sampleBytes, read));
  } catch (e) {
    if (e instanceof OutsideAreaError || e instanceof NotRegularFileError) throw e;
    return { proposedRules: fallback, headers: [], preview: [], problems: [`The sample ${name} cannot be read (${(e as Error).message}). Send the file again.`] };
  }
  if (bytes.length === 0) return { proposedRules: fallback, headers: [], preview: [], problems: [`The sample ${name} is empty. Send a file with a header row and a few rows.`] };

  const encoding = partial.encoding ?? detectEncoding(bytes, complete);
  let text = iconv.decode(bytes, encoding, { stripBOM: true });
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // eslint-disable-next-line no-control-regex
  const controls = (text.match(/[\u0000-\u0008\u000E-\u001F\uFFFD]/g) ?? []).length;
  if (controls > text.length / 100 + 2) {
    problems.push(`The sample ${name} does not look like text in ${encoding} (it holds binary bytes). Send a CSV${taskType.format === 'xml' ? ' or XML' : ''} export, or choose its real encoding.`);
    return { proposedRules: importRulesSchema.parse({ ...partial, encoding, mapping: partial.mapping ?? {} }), headers: [], preview: [], problems };
  }

  if (taskType.format === 'xml') return sampleXml(file, taskType, read, { ...partial, encoding }, previewRows, problems);

  if (!complete) text = text.slice(0, Math.max(text.lastIndexOf('\n'), 0)); // drop the cut-off last line
  const quote = partial.quote ?? '"';
  const delimiter = partial.delimiter ?? detectDelimiter(text, quote) ?? ',';
  // Without a header line the columns are the task type's fields in order, as the import reads them.
  const hasHeader = partial.header !== false;
  const recs = records(text, delimiter, quote, previewRows + (hasHeader ? 1 : 0));
  const headerItem = hasHeader ? recs.find((r) => r.kind === 'record') : undefined;
  const headers = headerItem?.kind === 'record' ? headerItem.fields.map((h) => h.trim()) : [];
  const mapping = hasHeader ? proposeMapping(headers, taskType, partial.mapping) : {};
  const proposedRules = importRulesSchema.parse({ ...partial, encoding, delimiter, quote, mapping });
  if (!hasHeader) return { proposedRules, headers, ...previewWithoutHeader(taskType, recs, name) };

  const columns = headers.map(fieldLookup(taskType, proposedRules));
  const mapped = new Set(columns.filter(Boolean));
  const required = [...new Set([taskType.key, ...requiredFields(taskType)])];
  for (const f of required.filter((f) => !mapped.has(f))) {
    problems.push(`No column of ${name} maps to ${f}, which is required. Map one of its columns (${headers.map((h) => `"${h}"`).join(', ')}) to ${f}${headers.length < 2 ? `, or check the delimiter (${show(delimiter)}) and encoding (${encoding})` : ''}.`);
  }
  for (const [i, h] of headers.entries()) {
    if (!columns[i]) problems.push(`Column "${h}" is not mapped to any field of ${taskType.name} and will be ignored; map it if it holds one of: ${taskType.fields.map((f) => f.name).join(', ')}.`);
  }
  const dup = columns.filter((c, i) => c && columns.indexOf(c) !== i);
  for (const f of new Set(dup)) problems.push(`Two columns map to ${f}; keep one of them in the mapping.`);

  const preview: PreviewRow[] = [];
  const blank = Object.fromEntries(taskType.fields.map((f) => [f.name, '']));
  for (const item of recs.slice(recs.indexOf(headerItem!) + 1)) {
    if (item.kind === 'error') {
      preview.push({ line: item.line, rejected: { reason: `not valid CSV: ${item.reason}` } });
      continue;
    }
    if (item.fields.length !== headers.length) {
      preview.push({ line: item.line, rejected: { reason: `expected ${headers.length} columns as in the header, found ${item.fields.length}` } });
      continue;
    }
    const values: Record<string, string> = { ...blank };
    columns.forEach((c, i) => {
      if (c) values[c] = item.fields[i]!;
    });
    preview.push(previewOf(taskType, item.line, values));
  }
  if (headers.length && !preview.length) problems.push(`The sample ${name} has a header and no rows; send a sample with a few rows so they can be checked.`);
  for (const p of preview) if (p.rejected && !problems.some((x) => x.startsWith('No column'))) problems.push(`Line ${p.line} would be rejected: ${p.rejected.reason}.`);
  return { proposedRules, headers, preview, problems };
}

/** The preview of a sample without a header line: each record's columns are the task type's fields, in order. */
function previewWithoutHeader(taskType: TaskType, recs: ReturnType<typeof records>, name: string): Pick<SamplingResult, 'preview' | 'problems'> {
  const fields = taskType.fields.map((f) => f.name);
  const preview = recs.map((item): PreviewRow => {
    if (item.kind === 'error') return { line: item.line, rejected: { reason: `not valid CSV: ${item.reason}` } };
    if (item.fields.length !== fields.length) {
      return { line: item.line, rejected: { reason: `expected ${fields.length} columns (${fields.join(', ')}), found ${item.fields.length}` } };
    }
    return previewOf(taskType, item.line, Object.fromEntries(fields.map((f, i) => [f, item.fields[i]!])));
  });
  const problems = preview.length ? [] : [`The sample ${name} has no rows; send a sample with a few rows so they can be checked.`];
  for (const p of preview) if (p.rejected) problems.push(`Line ${p.line} would be rejected: ${p.rejected.reason}.`);
  return { preview, problems };
}

/** A record's preview: its typed values, or why the run would reject it. */
function previewOf(taskType: TaskType, line: number, values: Record<string, string>): PreviewRow {
  const parsed = parseWithSchema(taskType, values);
  if (parsed.ok) return { line, values: parsed.row };
  return { line, rejected: { column: parsed.column, reason: `${parsed.column}: ${parsed.message}` } };
}

async function sampleXml(file: string, taskType: TaskType, read: ReadOptions, partial: Partial<ImportRules>, previewRows: number, problems: string[]): Promise<SamplingResult> {
  const proposedRules = importRulesSchema.parse({ ...partial, mapping: partial.mapping ?? {} });
  const preview: PreviewRow[] = [];
  try {
    for await (const item of readXmlRecords(file, taskType, proposedRules, read)) {
      if (item.kind === 'reject') preview.push({ line: item.line, rejected: { column: item.column, reason: item.reason } });
      else preview.push(previewOf(taskType, item.line, item.values));
      if (preview.length >= previewRows) break;
    }
  } catch (e) {
    problems.push(`${(e as Error).message} Fix the file or send another sample.`);
  }
  if (!preview.length && !problems.length) problems.push(`The sample ${path.basename(file)} holds no ${taskType.xmlRecord ?? 'record'} element.`);
  for (const p of preview) if (p.rejected) problems.push(`Line ${p.line} would be rejected: ${p.rejected.reason}. If the element has another name, map it in the rules' mapping.`);
  return { proposedRules, headers: [], preview, problems };
}
