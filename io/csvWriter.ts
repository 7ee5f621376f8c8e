import type { Writable } from 'node:stream';

/**
 * The one CSV writer for every file the product writes (batch and realtime exports,
 * rejected.csv, reports). A spreadsheet runs a cell as a formula when it starts with `=`,
 * `+`, `-` or `@` (some also after a tab, a line break or leading blanks, and some read the
 * full-width and small forms of those signs as the ASCII ones): such a value is written
 * with a single quote in front ("CSV injection", OWASP).
 *
 * The rule, reversible by construction: a leading `'` is added to every text value that
 * starts with a formula sign (optionally after blanks) OR already starts with `'`. So a
 * value read back from our CSV is the raw text after removing one leading `'` if there is
 * one (`recoverRaw`), and no raw text can pass for neutralised text. Numbers are written as
 * numbers (a negative number is not a formula).
 *
 * The batch export renders in PostgreSQL (`COPY ... (FORMAT csv)`, for speed): its SQL
 * (`formulaSafeSql`) and the JavaScript rule (`neutraliseFormula`) both come from the one
 * regular expression below, written in the syntax both engines read the same way
 * (`\uXXXX` escapes, a bracket list, `(?:…)`); test/export/csvWriter.test.ts compares them
 * on every character in it.
 */

/** The signs a spreadsheet may start a formula with: ASCII, full-width (U+FF1D…) and small (U+FE62…) forms, and control characters. */
export const FORMULA_SIGNS = ['=', '+', '-', '@', '\t', '\r', '\n', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', '\uFE66', '\uFE62', '\uFE63', '\uFE6B'] as const;
/** Blanks a spreadsheet may skip before reading a formula sign. */
export const LEADING_BLANKS = [' ', '\u00A0', '\u3000', '\t', '\n', '\r', '\v', '\f'] as const;
/** What is put in front of a neutralised value. */
export const NEUTRALISING_MARK = "'";

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
const bracket = (chars: readonly string[]) => `[${chars.map(escape).join('')}]`;

/** The single definition: a value matching it gets the mark. */
export const NEEDS_MARK_PATTERN = `^(?:${escape(NEUTRALISING_MARK)}|${bracket(LEADING_BLANKS)}*${bracket(FORMULA_SIGNS)})`;
const NEEDS_MARK = new RegExp(NEEDS_MARK_PATTERN);

/** The value with the mark in front if the rule says so. */
export function neutraliseFormula(value: string): string {
  return NEEDS_MARK.test(value) ? NEUTRALISING_MARK + value : value;
}

/** The raw text of a value our CSV holds (the inverse of neutraliseFormula). */
export function recoverRaw(written: string): string {
  return written.startsWith(NEUTRALISING_MARK) ? written.slice(NEUTRALISING_MARK.length) : written;
}

/** SQL for a text column's written value: the same rule as neutraliseFormula, and '' as null (as csvField writes both). */
export function formulaSafeSql(column: string): string {
  // An E'' literal, so the backslashes mean the same whatever standard_conforming_strings says.
  const pattern = `E'${NEEDS_MARK_PATTERN.replace(/\\/g, '\\\\')}'`;
  const mark = `'${NEUTRALISING_MARK.replace(/'/g, "''")}'`;
  return `case when ${column} ~ ${pattern} then ${mark} || ${column} else nullif(${column}, '') end`;
}

export type CsvValue = string | number | null | undefined;

/**
 * One CSV field as PostgreSQL's CSV output writes it: empty for null (and for an empty
 * string), quoted when it holds a quote, the delimiter or a line break.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const v = neutraliseFormula(value);
  if (v === '') return '';
  if (/[",\r\n]/.test(v)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

export const csvLine = (values: readonly CsvValue[]): string => values.map(csvField).join(',') + '\n';

/**
 * Writes rows, a page at a time, to `out` as CSV, waiting when `out` is behind (memory holds
 * one page). Stops early, without error, when `out` is closed (a client that went away).
 */
export async function writeCsv(out: Writable, header: readonly string[], pages: AsyncIterable<readonly (readonly CsvValue[])[]>): Promise<void> {
  const write = async (text: string) => {
    if (out.destroyed || out.writableEnded) return false;
    if (!out.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
      });
    }
    return !out.destroyed;
  };
  if (!(await write(csvLine(header)))) return;
  for await (const page of pages) {
    if (!page.length) continue;
    if (!(await write(page.map(csvLine).join('')))) return;
  }
}
