import assert from 'node:assert/strict';
import { startSystem, type TestSystem } from '../setup/system';
import { importOnce, place, type RunOutcome } from './helpers';

/**
 * The folder of hostile and awkward files (test/fixtures/import), each imported through
 * the real system (API → workflows → activities → PostgreSQL) and its outcome checked row
 * by row: what went in, what was rejected with which line, column, reason and text.
 */
describe('import: hostile and awkward files', function () {
  this.timeout(180_000);
  let sys: TestSystem;
  let admin: string;
  const domain = 'hostile';
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => sys?.stop());

  const run = (name: string, rules?: object, content?: Buffer | string) => importOnce(sys, admin, domain, place(sys, domain, name, content), { rules });
  const sections = async (ids: string[]) =>
    (await sys.db.query(`select section_id, course_code, title, capacity from sections where domain = $1 and section_id = any($2) order by section_id`, [domain, ids])).rows;
  const outcome = (r: RunOutcome) => ({ status: r.run.status, reason: r.run.reason, counters: r.run.counters });

  it('UTF-8 with a BOM and CRLF line ends', async () => {
    const r = await run('bom.csv');
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.deepEqual(await sections(['B1', 'B2']), [
      { section_id: 'B1', course_code: 'BIO101', title: 'Café Science', capacity: 10 },
      { section_id: 'B2', course_code: 'BIO102', title: 'Zoë’s Lab', capacity: 20 },
    ]);
  });

  it('Latin-1 with semicolons', async () => {
    const r = await run('latin1-semicolon.csv', { encoding: 'latin1', delimiter: ';' });
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.deepEqual(await sections(['L1', 'L2']), [
      { section_id: 'L1', course_code: 'FR101', title: 'Café crème', capacity: 12 },
      { section_id: 'L2', course_code: 'DE201', title: 'Straße & Söhne', capacity: null },
    ]);
  });

  it('Windows-1252 (curly quotes, dash, euro sign)', async () => {
    const r = await run('windows1252.csv', { encoding: 'windows-1252' });
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.deepEqual(await sections(['W1']), [{ section_id: 'W1', course_code: 'EN101', title: '“Quoted” – dash €', capacity: 5 }]);
  });

  it('UTF-16 LE with tabs', async () => {
    const r = await run('utf16le-tab.csv', { encoding: 'utf-16le', delimiter: '\t' });
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.deepEqual(await sections(['U1', 'U2']), [
      { section_id: 'U1', course_code: 'JP101', title: '日本語入門', capacity: 30 },
      { section_id: 'U2', course_code: 'GR101', title: 'Ελληνικά', capacity: 15 },
    ]);
  });

  it('UTF-16 BE with tabs reads the same rows (found unchanged after the LE file)', async () => {
    const r = await run('utf16be-tab.csv', { encoding: 'utf-16be', delimiter: '\t' });
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.equal(r.run.counters.unchanged, 2);
    assert.equal(r.run.counters.inserted, 0);
  });

  it('quoted newlines: records spanning lines keep their text, and later lines are numbered right', async () => {
    const r = await run('quoted-newlines.csv');
    assert.equal(r.run.status, 'partially_completed');
    assert.deepEqual(r.run.counters, { read: 4, inserted: 3, updated: 0, unchanged: 0, deleted: 0, skipped: 0, warnings: 0, rejected: 1 });
    assert.deepEqual(await sections(['Q1', 'Q2', 'Q4']), [
      { section_id: 'Q1', course_code: 'C1', title: 'Line one\nline two', capacity: 10 },
      { section_id: 'Q2', course_code: 'C2', title: 'a\r\nb\r\nc', capacity: 20 },
      { section_id: 'Q4', course_code: 'C4', title: 'last "one"', capacity: 4 },
    ]);
    assert.deepEqual(r.rejected, [{ line: 7, column: 'capacity', reason: 'capacity: must be a whole number, 0 or more', raw: 'Q3,C3,plain,notanumber' }]);
  });

  it('embedded quotes: doubled quotes, a bare quote inside a field, text after a closing quote', async () => {
    const r = await run('embedded-quotes.csv');
    assert.equal(r.run.status, 'partially_completed');
    assert.deepEqual(await sections(['E1', 'E2', 'E3', 'E4']), [
      { section_id: 'E1', course_code: 'C1', title: 'He said "hi"', capacity: 5 },
      { section_id: 'E2', course_code: 'C2', title: '5" floppy disk', capacity: 6 },
      { section_id: 'E4', course_code: 'C4', title: 'a, b and c', capacity: 8 },
    ]);
    assert.deepEqual(r.rejected, [
      { line: 4, column: 'title', reason: 'not valid CSV: column 3: unexpected text after the closing quote', raw: 'E3,C3,"closed"trailing,7' },
    ]);
  });

  it('duplicate keys: later rows rejected naming the first line, the first kept', async () => {
    const r = await run('duplicate-keys.csv');
    assert.equal(r.run.status, 'partially_completed');
    assert.equal(r.run.counters.inserted, 3);
    assert.equal(r.run.counters.rejected, 2);
    assert.deepEqual(await sections(['D1', 'D2', 'D3']), [
      { section_id: 'D1', course_code: 'C1', title: 'first', capacity: 1 },
      { section_id: 'D2', course_code: 'C2', title: 'second', capacity: 2 },
      { section_id: 'D3', course_code: 'C3', title: 'third', capacity: 3 },
    ]);
    assert.deepEqual(r.rejected, [
      { line: 4, column: 'section_id', reason: 'duplicate key (first seen on line 2)', raw: 'D1,C1,again,3' },
      { line: 6, column: 'section_id', reason: 'duplicate key (first seen on line 2)', raw: 'D1,C9,thrice,4' },
    ]);
  });

  it('missing and extra columns in rows are rejected with the count', async () => {
    const r = await run('column-counts.csv');
    assert.equal(r.run.status, 'partially_completed');
    assert.deepEqual((await sections(['M1', 'M2', 'M3', 'M4'])).map((s) => s.section_id), ['M1', 'M4']);
    assert.deepEqual(r.rejected, [
      { line: 3, column: '', reason: 'expected 4 columns as in the header, found 3', raw: 'M2,C2,too few' },
      { line: 4, column: '', reason: 'expected 4 columns as in the header, found 5', raw: 'M3,C3,too,many,1' },
    ]);
    assert.equal(r.run.failedPct, 50);
  });

  it('a header without the key column halts the run, naming what is missing', async () => {
    const r = await run('missing-key-column.csv');
    assert.equal(r.run.status, 'halted');
    assert.match(r.run.reason, /missing-key-column\.csv: the header does not match the mapping: no column for section_id\. Found: "course_code", "title"/);
    assert.equal(r.run.counters.inserted, 0);
  });

  it('an extra header column the task type does not know is ignored', async () => {
    const r = await run('extra-header-column.csv');
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.deepEqual(await sections(['X1']), [{ section_id: 'X1', course_code: 'C1', title: 'kept', capacity: null }]);
  });

  it('header only: completes with a warning that says so', async () => {
    const r = await run('header-only.csv');
    assert.deepEqual(outcome(r), {
      status: 'completed_with_warnings', reason: null,
      counters: { read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0, warnings: 1, rejected: 0 },
    });
    assert.deepEqual(r.run.warningsByKind, { header_only: 1 });
    const logs = await sys.call(admin, 'GET', `/domains/${domain}/jobs/${r.jobId}/runs/1/logs`);
    assert.ok(logs.json.items.some((l: { level: string; message: string }) => l.level === 'warn' && l.message === 'The file has a header and no rows: nothing to import.'), logs.text);
  });

  it('an empty file completes with a warning that says so', async () => {
    const r = await run('empty.csv');
    assert.equal(r.run.status, 'completed_with_warnings');
    assert.deepEqual(r.run.warningsByKind, { empty_file: 1 });
  });

  it('a 1 MB line goes in whole', async () => {
    const title = 'x'.repeat(1024 * 1024);
    const r = await run('long-line.csv', undefined, `section_id,course_code,title,capacity\nBIG1,C1,${title},1\nBIG2,C2,after,2\n`);
    assert.equal(r.run.status, 'completed', r.run.reason);
    const { rows } = await sys.db.query(`select section_id, length(title) as n from sections where domain = $1 and section_id like 'BIG%' order by 1`, [domain]);
    assert.deepEqual(rows, [{ section_id: 'BIG1', n: 1024 * 1024 }, { section_id: 'BIG2', n: 5 }]);
  });

  it('a line past the 4 MB record limit is rejected and the rows after it still go in', async () => {
    const r = await run('huge-line.csv', undefined, `section_id,course_code,title,capacity\nH1,C1,before,1\nH2,C2,${'y'.repeat(5 * 1024 * 1024)},2\nH3,C3,after,3\n`);
    assert.equal(r.run.status, 'partially_completed');
    assert.deepEqual((await sections(['H1', 'H2', 'H3'])).map((s) => s.section_id), ['H1', 'H3']);
    assert.equal(r.rejected.length, 1);
    assert.equal(r.rejected[0]!.line, 3);
    assert.match(r.rejected[0]!.reason, /longer than 4194304 characters/);
    assert.ok(r.rejected[0]!.raw.startsWith('H2,C2,yyy') && r.rejected[0]!.raw.length <= 10_001);
  });

  it('invalid UTF-8 halts the run, naming the file and line, and imports nothing', async () => {
    const r = await run('invalid-utf8.csv');
    assert.equal(r.run.status, 'halted');
    assert.match(r.run.reason, /^invalid-utf8\.csv line 3: the bytes at offset \d+ \(byte 11 of the line\) are not valid UTF-8/);
    assert.deepEqual(await sections(['I1', 'I2']), []);
  });

  it('binary garbage halts the run and imports nothing', async () => {
    const r = await run('binary.bin');
    assert.equal(r.run.status, 'halted');
    assert.match(r.run.reason, /binary\.bin( line \d+)?: .*(not valid UTF-8|not readable text|does not match)/);
    assert.equal(r.run.counters.inserted, 0);
  });

  it('binary garbage read as Latin-1 halts on the header, not on each row', async () => {
    const r = await run('binary.bin', { encoding: 'latin1' });
    assert.equal(r.run.status, 'halted');
    assert.match(r.run.reason, /binary\.bin/);
  });

  it('renamed headers are mapped through rules.mapping', async () => {
    const r = await run('renamed-headers.csv', {
      delimiter: ';', mapping: { 'Section ID': 'section_id', Course: 'course_code', 'Course Title': 'title', Seats: 'capacity' },
    });
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.deepEqual(await sections(['R1', 'R2']), [
      { section_id: 'R1', course_code: 'C1', title: 'Renamed', capacity: 40 },
      { section_id: 'R2', course_code: 'C2', title: 'Also renamed', capacity: 41 },
    ]);
  });

  it('bad values: each rejected row names its column; warnings for meeting patterns and canceled sections', async () => {
    const r = await run('bad-values.csv');
    assert.equal(r.run.status, 'partially_completed');
    assert.deepEqual(
      r.rejected.map(({ line, column, reason }) => ({ line, column, reason })),
      [
        { line: 3, column: 'course_code', reason: 'course_code: course_code is required' },
        { line: 4, column: 'section_id', reason: 'section_id: section_id is required' },
        { line: 5, column: 'status', reason: 'status: must be "active" or "canceled"' },
        { line: 8, column: 'capacity', reason: 'capacity: must be a whole number, 0 or more' },
      ],
    );
    assert.equal(r.rejected[0]!.raw, 'V2,,no course,1,active,,,');
    assert.deepEqual(r.run.warningsByKind, { invalid_meeting_pattern: 1, canceled_section: 1 });
    const { rows } = await sys.db.query(`select section_id, meeting_days, start_time from sections where domain = $1 and section_id like 'V%' order by 1`, [domain]);
    assert.deepEqual(rows, [
      { section_id: 'V1', meeting_days: 'MWF', start_time: '09:00' },
      { section_id: 'V5', meeting_days: null, start_time: null },
    ]);
  });
});
