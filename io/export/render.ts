/**
 * Rendering of exported XML. CSV is written by the one CSV writer (io/csvWriter.ts),
 * which neutralises formulas; XML is read by programs, not spreadsheets, and carries
 * values as they are.
 */

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
