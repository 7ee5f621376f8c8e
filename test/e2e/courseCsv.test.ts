import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createJob, importOnce, parseCsv, place, runNow, waitForRun } from '../import/helpers';
import { eventually, startSystem, type TestSystem } from '../setup/system';

/**
 * courseCsv, the fourth task type, through the API, the job and run workflows and a worker:
 * a catalogue imported from a file, exported in a batch to a folder, and its changes sent as
 * they happen by a realtime export on a 2-second schedule.
 */
describe('courseCsv: a course catalogue imported and exported end to end', function () {
  this.timeout(180_000);
  const domain = 'catalogue';
  let sys: TestSystem;
  let admin: string;
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => {
    // A realtime job's schedule would go on ticking for the rest of the test run: remove it.
    if (sys) await sys.call(admin, 'DELETE', `/domains/${domain}/jobs/live`).catch(() => undefined);
    await sys?.stop();
  });

  const courses = async () =>
    (await sys.db.query(
      `select course_code, title, subject, course_number, description, department, credits, campus, term, status
       from courses where domain = $1 order by course_code`, [domain])).rows;
  /** An export run's record once it has ended. */
  const endedRun = (id: string, n: number) =>
    eventually(async () => {
      const r = await sys.call(admin, 'GET', `/domains/${domain}/jobs/${id}/runs/${n}`);
      return r.status === 200 && r.json.endedAt ? r.json : undefined;
    }, `run ${n} of ${id} to end`);

  it('imports a course CSV: mapped headers, filtered terms, rejected rows with reasons, the catalogue warning', async () => {
    // An active section of HIS210: withdrawing that course from the catalogue is worth a warning.
    await sys.db.query(`insert into sections (domain, section_id, course_code, status) values ($1, 'HIS210-01', 'HIS210', 'active')`, [domain]);
    const file = place(sys, domain, 'courses.csv', [
      'Course ID,title,subject,course_number,description,department,Credit Hours,campus,term,status',
      'BIO101,Introduction to Biology,BIO,101,"Cells, genes and ""life""",Biology,4,MAIN,2026FA,',
      'HIS210,Modern History,HIS,210,,History,3,MAIN,2026FA,Inactive',
      'CHE200,,CHE,200,,Chemistry,3,MAIN,2026FA,active',
      'MAT300,Linear Algebra,MAT,300,,Mathematics,three,NORTH,2026FA,active',
      'ART100,Drawing,ART,100,,Arts,2,NORTH,2026FA,archived',
      'BIO101,Biology again,BIO,101,,Biology,4,MAIN,2026FA,active',
      'PHY150,Physics I,PHY,150,,Physics,4,NORTH,2026SP,active',
      'ECO120,=SUM(A1:A9),ECO,120,@mention,Economics,,MAIN,2026FA,active',
      'LAT101,Latin,LAT,101,,Classics,3,NORTH,2026FA,active',
    ].join('\n') + '\n');
    const r = await importOnce(sys, admin, domain, file, {
      taskType: 'courseCsv',
      rules: { terms: ['2026FA'], mapping: { 'Course ID': 'course_code', 'Credit Hours': 'credits' } },
    });
    assert.equal(r.run.status, 'partially_completed', r.run.reason);
    assert.deepEqual(
      { read: r.run.counters.read, inserted: r.run.counters.inserted, skipped: r.run.counters.skipped, rejected: r.run.counters.rejected },
      { read: 9, inserted: 4, skipped: 1, rejected: 4 },
    );
    assert.deepEqual(r.run.warningsByKind, { inactive_course_with_sections: 1 });
    assert.deepEqual(await courses(), [
      { course_code: 'BIO101', title: 'Introduction to Biology', subject: 'BIO', course_number: '101', description: 'Cells, genes and "life"',
        department: 'Biology', credits: 4, campus: 'MAIN', term: '2026FA', status: 'active' },
      { course_code: 'ECO120', title: '=SUM(A1:A9)', subject: 'ECO', course_number: '120', description: '@mention',
        department: 'Economics', credits: null, campus: 'MAIN', term: '2026FA', status: 'active' },
      { course_code: 'HIS210', title: 'Modern History', subject: 'HIS', course_number: '210', description: null,
        department: 'History', credits: 3, campus: 'MAIN', term: '2026FA', status: 'inactive' },
      { course_code: 'LAT101', title: 'Latin', subject: 'LAT', course_number: '101', description: null,
        department: 'Classics', credits: 3, campus: 'NORTH', term: '2026FA', status: 'active' },
    ]);
    assert.deepEqual(r.rejected.map(({ line, column, reason }) => ({ line, column, reason })), [
      { line: 4, column: 'title', reason: 'title: title is required' },
      { line: 5, column: 'credits', reason: 'credits: must be a whole number from 0 to 99' },
      { line: 6, column: 'status', reason: 'status: must be "active" or "inactive"' },
      { line: 7, column: 'course_code', reason: 'duplicate key (first seen on line 2)' },
    ]);
  });

  it('exports the catalogue in a batch to a folder, filtered by campus, formulas neutralised', async () => {
    const out = path.join(sys.areaOf(domain), 'batch-out');
    fs.mkdirSync(out);
    const created = await sys.call(admin, 'POST', `/domains/${domain}/jobs`, {
      id: 'to-folder', name: 'Catalogue to a folder', taskType: 'courseCsv', direction: 'export', mode: 'batch',
      destinationUrl: `file://${out}/`, rules: { campuses: ['MAIN'] },
    });
    assert.equal(created.status, 201, created.text);
    await runNow(sys, admin, domain, 'to-folder');
    const run = await endedRun('to-folder', 1);
    assert.equal(run.status, 'completed', run.reason);
    assert.deepEqual(run.counters, { extracted: 3, delivered: 3 });
    assert.deepEqual(fs.readdirSync(out), ['courses-to-folder-run1.csv']);
    assert.equal(fs.readFileSync(path.join(out, 'courses-to-folder-run1.csv'), 'utf8'), [
      'course_code,title,subject,course_number,description,department,credits,campus,term,status',
      'BIO101,Introduction to Biology,BIO,101,"Cells, genes and ""life""",Biology,4,MAIN,2026FA,active',
      `ECO120,'=SUM(A1:A9),ECO,120,'@mention,Economics,,MAIN,2026FA,active`,
      'HIS210,Modern History,HIS,210,,History,3,MAIN,2026FA,inactive',
    ].join('\n') + '\n');
  });

  it('sends the changes made after a realtime export was created, in order, each once, from imports and direct edits', async () => {
    const out = path.join(sys.areaOf(domain), 'live-out');
    fs.mkdirSync(out);
    const created = await sys.call(admin, 'POST', `/domains/${domain}/jobs`, {
      id: 'live', name: 'Catalogue changes', taskType: 'courseCsv', direction: 'export', mode: 'realtime',
      destinationUrl: `file://${out}/`, rules: { campuses: ['MAIN'] },
      scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 2 } },
    });
    assert.equal(created.status, 201, created.text);

    // An import changes one course and adds one (on another campus than the job's); then direct edits.
    const file = place(sys, domain, 'courses-2.csv', [
      'course_code,title,campus,term,credits',
      'BIO101,Biology I,MAIN,2026FA,4',
      'HIS210,Modern History,MAIN,2026FA,3',
      'GEO110,Geology,NORTH,2026FA,3',
    ].join('\n') + '\n');
    const id = await createJob(sys, admin, domain, file, { taskType: 'courseCsv' });
    await runNow(sys, admin, domain, id);
    const imported = await waitForRun(sys, admin, domain, id, 1);
    // Both courses the file names change (HIS210 is active again, and loses what the file lacks).
    assert.deepEqual({ inserted: imported.run.counters.inserted, updated: imported.run.counters.updated }, { inserted: 1, updated: 2 });
    await sys.db.query(`update courses set course_code = 'BIO102' where domain = $1 and course_code = 'BIO101'`, [domain]);
    await sys.db.query(`update courses set updated_at = now() where domain = $1`, [domain]); // not a change of data
    await sys.db.query(`delete from courses where domain = $1 and course_code = 'ECO120'`, [domain]);

    const HEADER = 'change_id,operation,course_code,title,subject,course_number,description,department,credits,campus,term,status';
    // An import sets every field: those its file lacks become empty.
    const expected = [
      ['upsert', 'BIO101', 'Biology I', '', '', '', '', '4', 'MAIN', '2026FA', 'active'],
      ['upsert', 'HIS210', 'Modern History', '', '', '', '', '3', 'MAIN', '2026FA', 'active'],
      ['delete', 'GEO110', '', '', '', '', '', '', '', '', ''], // a course outside the job's campuses is sent as a delete
      ['delete', 'BIO101', '', '', '', '', '', '', '', '', ''], // a key change: the old key goes...
      ['upsert', 'BIO102', 'Biology I', '', '', '', '', '4', 'MAIN', '2026FA', 'active'], // ...the new one comes
      ['delete', 'ECO120', '', '', '', '', '', '', '', '', ''],
    ];
    const delivered = await eventually(async () => {
      const files = fs.readdirSync(out).filter((f) => /^courses-live-changes-\d+-\d+\.csv$/.test(f))
        .sort((a, b) => Number(/-changes-(\d+)-/.exec(a)![1]) - Number(/-changes-(\d+)-/.exec(b)![1]));
      const rows = files.flatMap((f) => {
        const [header, ...lines] = parseCsv(fs.readFileSync(path.join(out, f), 'utf8'));
        assert.equal(header!.join(','), HEADER, f);
        return lines;
      });
      return rows.length >= expected.length ? { files, rows } : undefined;
    }, 'the changes to arrive', 120_000);

    const ids = delivered.rows.map((r) => Number(r[0]));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in change order');
    assert.equal(new Set(ids).size, ids.length, 'each once');
    // The import's update statement records both changed courses at once, in key order; then its insert.
    assert.deepEqual(delivered.rows.map((r) => r.slice(1)), expected);
    // The batches chain: each starts right after the one before.
    const ranges = delivered.files.map((f) => /-changes-(\d+)-(\d+)\.csv$/.exec(f)!.slice(1).map(Number) as [number, number]);
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]![0], ranges[i - 1]![1] + 1, delivered.files.join(', '));
    assert.equal(ranges.at(-1)![1], ids.at(-1));
  });
});
