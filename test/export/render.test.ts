import assert from 'node:assert/strict';
import pg from 'pg';
import { csvField, csvLine, escapeFormula, formulaSafeSql, xmlText } from '../../activities/export/render';
import { testEnv } from '../setup/globalHooks';

/** Formula escaping and CSV quoting, in JavaScript and in the SQL the batch export runs. */
describe('export rendering', () => {
  it('prefixes values a spreadsheet would run as a formula with a single quote', () => {
    for (const v of ['=1+1', '+1 555', '-5 apples', '@SUM(A1)', '\tTabbed', '\rReturn', '=HYPERLINK("http://x")']) {
      assert.equal(escapeFormula(v), `'${v}`, JSON.stringify(v));
    }
    for (const v of ['', 'plain', ' =not first', "'already", 'a=b', 'x-y', 'MWF', '09:00']) {
      assert.equal(escapeFormula(v), v, JSON.stringify(v));
    }
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
    assert.equal(csvLine(['a', null, 3, '@x']), "a,,3,'@x\n");
  });

  it('escapes for XML', () => {
    assert.equal(xmlText(`<a href="x">Tom & 'Jerry'</a>\u0001`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;');
  });

  it('gives the same bytes in PostgreSQL as in JavaScript', async () => {
    const samples = ['plain', '', '=1+1', '+1', '-1', '@me', '\tx', '\rx', 'a,b', 'say "hi"', 'two\nlines', 'cr\rinside', "'q", ' lead', 'trail ', 'é ü 中', '\\.', 'NULL', null];
    const db = new pg.Client({ connectionString: testEnv().databaseUrl });
    await db.connect();
    try {
      // COPY's CSV output is what the batch export writes; compare it with csvLine row by row.
      const values = samples.map((s, i) => `(${i}, ${s === null ? 'null' : db.escapeLiteral(s)})`).join(', ');
      const { rows } = await db.query<{ i: number; v: string | null }>(`select i, ${formulaSafeSql('v')} as v from (values ${values}) as t (i, v) order by i`);
      const { to } = await import('pg-copy-streams');
      const stream = db.query(to(`copy (select ${formulaSafeSql('v')}, i from (values ${values}) as t (i, v) order by i) to stdout with (format csv)`));
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const expected = rows.map((r) => csvLine([r.v, r.i])).join('');
      assert.equal(Buffer.concat(chunks).toString('utf8'), expected);
      assert.equal(rows.length, samples.length);
      assert.equal(rows[2]!.v, "'=1+1");
    } finally {
      await db.end();
    }
  });
});
