import assert from 'node:assert/strict';
import pg from 'pg';
import { to } from 'pg-copy-streams';
import { csvField, csvLine, FORMULA_SIGNS, formulaSafeSql, LEADING_BLANKS, neutraliseFormula, recoverRaw } from '../../io/csvWriter';
import { FORMULA_CELLS } from './formulaCells';
import { testEnv } from '../setup/globalHooks';

/** Values the rule leaves alone. */
const PLAIN = ['plain', 'a=b', 'x-y', 'MWF', '09:00', 'é ü 中', 'NULL', '\\.', ' lead', 'trail ', '1e5', 'a\n=b', '\u2212minus sign'];

/** Formula neutralisation and CSV quoting, in JavaScript and in the SQL the batch export runs, from one definition. */
describe('CSV writer', () => {
  it('marks every formula start, full-width and small forms, after blanks, and the mark itself; leaves the rest', () => {
    for (const v of FORMULA_CELLS) assert.equal(neutraliseFormula(v), `'${v}`, JSON.stringify(v));
    for (const v of PLAIN) assert.equal(neutraliseFormula(v), v, JSON.stringify(v));
    assert.equal(neutraliseFormula(''), '');
  });

  it('gives the raw text back by removing one leading quote', () => {
    for (const v of [...FORMULA_CELLS, ...PLAIN, '']) assert.equal(recoverRaw(neutraliseFormula(v)), v, JSON.stringify(v));
  });

  it('quotes CSV fields with quotes, commas and line breaks, and writes numbers and nulls plainly', () => {
    assert.equal(csvField(null), '');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(''), '');
    assert.equal(csvField(0), '0');
    assert.equal(csvField(-3), '-3', 'a number is not a formula');
    assert.equal(csvField('Intro, "Cells"'), '"Intro, ""Cells"""');
    assert.equal(csvField('a\nb'), '"a\nb"');
    assert.equal(csvField('a\r\nb'), '"a\r\nb"');
    assert.equal(csvField('=1,2'), `"'=1,2"`);
    assert.equal(csvField('\r=x'), `"'\r=x"`);
    assert.equal(csvLine(['a', null, 3, '@x', '\uFF20x']), "a,,3,'@x,'\uFF20x\n");
  });

  it('gives the same bytes in PostgreSQL as in JavaScript, for every neutralised character', async () => {
    const samples: (string | null)[] = [...FORMULA_CELLS, ...PLAIN, 'a,b', 'say "hi"', 'two\nlines', 'cr\rinside', '', null];
    // Each sign and blank alone, first, and in the middle.
    for (const c of [...FORMULA_SIGNS, ...LEADING_BLANKS, "'"]) samples.push(c, `${c}x`, `x${c}`);
    const db = new pg.Client({ connectionString: testEnv().databaseUrl });
    await db.connect();
    try {
      const values = samples.map((s, i) => `(${i}, ${s === null ? 'null' : db.escapeLiteral(s)})`).join(', ');
      // COPY's CSV output is what the batch export writes; compare it with csvLine row by row.
      const stream = db.query(to(`copy (select ${formulaSafeSql('v')}, i from (values ${values}) as t (i, v) order by i) to stdout with (format csv)`));
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const expected = samples.map((s, i) => csvLine([s, i])).join('');
      assert.equal(Buffer.concat(chunks).toString('utf8'), expected);
      // The SQL means the same under the other string-literal setting (escapeLiteral's values do too).
      await db.query('set standard_conforming_strings = off');
      const { rows } = await db.query<{ v: string | null }>(`select ${formulaSafeSql('v')} as v from (values ${values}) as t (i, v) order by i`);
      assert.deepEqual(rows.map((r) => r.v), samples.map((s) => (s ? neutraliseFormula(s) : null)));
    } finally {
      await db.end();
    }
  });
});
