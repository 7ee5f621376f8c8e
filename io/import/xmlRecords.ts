import path from 'node:path';
import { SaxesParser } from 'saxes';
import { HALTED_TYPES } from '../../domain/failures';
import { jobFailure } from '../jobFailure';
import { openReadStream, type ReadOptions } from '../safeFiles';
import type { ImportRules } from '../../taskTypes/importRules';
import type { TaskType } from '../../taskTypes/taskType';
import { type CsvItem, decodeStream, fieldLookup } from './csvRecords';
import { clip } from './csvParser';

/**
 * Streams an XML file as records: each element named taskType.xmlRecord (by default
 * every child of the root) is one record; its attributes and the text of its child
 * elements are the fields, matched by name: rules.mapping, the field's name, then its aliases.
 * Malformed XML halts the run with the line and column where it broke.
 */

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export async function* readXmlRecords(file: string, taskType: TaskType, rules: ImportRules, read: ReadOptions): AsyncGenerator<CsvItem> {
  const fileName = path.basename(file);
  // An XML format names its elements once for all files: aliases apply as well as the mapping.
  const byMapping = fieldLookup(taskType, rules);
  const aliases = new Map(taskType.fields.flatMap((f) => (f.aliases ?? []).map((a) => [a.toLowerCase(), f.name] as const)));
  const lookup = (name: string) => byMapping(name) ?? aliases.get(name.trim().toLowerCase());
  const parser = new SaxesParser({ position: true });
  const out: CsvItem[] = [];
  let depth = 0;
  let record: { line: number; tag: string; values: Record<string, string>; raw: string[]; unknown: string[] } | undefined;
  let child: { name: string; text: string } | undefined;
  let failure: Error | undefined;
  let sawRoot = false;

  parser.on('error', (e) => {
    failure ??= jobFailure(`${fileName} line ${parser.line}, column ${parser.column + 1}: the XML is not well formed (${e.message.replace(/^.*?:\d+:\d+: /, '')}).`, HALTED_TYPES.mappingMismatch);
  });
  parser.on('opentag', (tag) => {
    depth++;
    if (depth === 1) {
      sawRoot = true;
      return;
    }
    const isRecord = taskType.xmlRecord ? tag.name === taskType.xmlRecord && !record : depth === 2;
    if (isRecord) {
      record = { line: parser.line, tag: tag.name, values: Object.fromEntries(taskType.fields.map((f) => [f.name, ''])), raw: [], unknown: [] };
      for (const [name, value] of Object.entries(tag.attributes as Record<string, string>)) {
        const field = lookup(name);
        if (field) record.values[field] = value;
        record.raw.push(` ${name}="${escapeXml(value)}"`);
      }
    } else if (record) {
      child = { name: tag.name, text: '' };
    }
  });
  parser.on('text', (t) => {
    if (child) child.text += t;
  });
  parser.on('cdata', (t) => {
    if (child) child.text += t;
  });
  parser.on('closetag', (tag) => {
    depth--;
    if (child && tag.name === child.name) {
      const field = lookup(child.name);
      if (field) record!.values[field] = child.text;
      record!.raw.push(`<${child.name}>${escapeXml(child.text)}</${child.name}>`);
      child = undefined;
    } else if (record && tag.name === record.tag && (taskType.xmlRecord ? true : depth === 1)) {
      const attrs = record.raw.filter((r) => r.startsWith(' ')).join('');
      const kids = record.raw.filter((r) => !r.startsWith(' ')).join('');
      const raw = `<${record.tag}${attrs}>${kids}</${record.tag}>`;
      out.push({ kind: 'row', line: record.line, values: record.values, raw: clip(raw) });
      record = undefined;
    }
  });

  const source = decodeStream(openReadStream(file, { chunkBytes: 256 * 1024, ...read }), rules.encoding, fileName);
  for await (const chunk of source as AsyncIterable<string>) {
    parser.write(chunk);
    if (failure) throw failure;
    yield* out.splice(0);
  }
  parser.close();
  if (failure) throw failure;
  yield* out.splice(0);
  if (!sawRoot) throw jobFailure(`${fileName}: the file has no XML element; it is empty or not XML.`, HALTED_TYPES.mappingMismatch);
}
