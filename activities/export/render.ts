/**
 * Rendering of exported values. A CSV file is read by people in spreadsheets, and a
 * spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage
 * return, which some strip first) as a formula: such values are prefixed with a single
 * quote, the usual neutralisation (OWASP, "CSV injection"). Numbers are written as numbers.
 *
 * The batch path renders in PostgreSQL (`formulaSafeSql` inside `COPY ... (FORMAT csv)`),
 * the realtime path in JavaScript (`csvLine`); both give the same bytes for the same row
 * (test/export/render.test.ts checks that against the database).
 */

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/** The value with a leading single quote if a spreadsheet would run it as a formula. */
export function escapeFormula(value: string): string {
  return value.length > 0 && FORMULA_START.has(value[0]!) ? `'${value}` : value;
}

/**
 * One CSV field as PostgreSQL's CSV output writes it: empty for null (and for an empty
 * string), quoted when it holds a quote, the delimiter or a line break.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const v = escapeFormula(value);
  if (v === '') return '';
  if (/[",\r\n]/.test(v)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

export const csvLine = (values: readonly (string | number | null | undefined)[]): string => values.map(csvField).join(',') + '\n';

/** SQL for a text column's exported value: the same escaping as `escapeFormula`, and '' as null. */
export function formulaSafeSql(column: string): string {
  return `case when left(${column}, 1) in ('=', '+', '-', '@', chr(9), chr(13)) then '''' || ${column} else nullif(${column}, '') end`;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text for an XML element or attribute; characters XML 1.0 cannot hold are dropped. */
export function xmlText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/**
 * One record element of an XML export: the key as an attribute, then one child element per
 * other field in field order; a null field has no element (the import side reads a missing
 * element as empty). Values are written as they are, without formula escaping: XML is read
 * by programs, and the document imports back to the same rows.
 */
export function xmlRecordElement(
  record: string,
  keyAttribute: string,
  keyField: string,
  fields: readonly string[],
  row: Record<string, string | null>,
): string {
  // An attribute's tabs and line breaks would be read back as spaces: written as references.
  const key = xmlText(row[keyField] ?? '').replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
  let out = `  <${record} ${keyAttribute}="${key}">\n`;
  for (const f of fields) {
    const v = row[f];
    if (f === keyField || v === null || v === undefined) continue;
    // A carriage return would be read back as a line feed: written as a reference.
    out += `    <${f}>${xmlText(v).replace(/\r/g, '&#13;')}</${f}>\n`;
  }
  return `${out}  </${record}>\n`;
}

export const xmlPrologue = (root: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n`;
export const xmlEpilogue = (root: string) => `</${root}>\n`;
