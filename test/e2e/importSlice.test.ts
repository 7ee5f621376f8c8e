import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, startSystem, type TestSystem } from '../setup/system';

/** The thinnest real slice: API → job workflow → run workflow → activities → PostgreSQL → API. */
describe('import slice, end to end', () => {
  let sys: TestSystem;
  let admin: string;
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', 'slice');
  });
  after(async () => sys?.stop());

  const waitForRun = (url: string, runs: number) =>
    eventually(async () => {
      const { json } = await sys.call(admin, 'GET', url);
      return json.lastRuns.length >= runs && !json.currentRun ? json : undefined;
    }, `run ${runs} of ${url}`);

  it('imports the sample sectionsCsv file and reports the completed run with its counters', async () => {
    // The sample, copied into the domain's file area (as `npm run demo` does).
    const sample = path.join(sys.areaOf('slice'), 'sections.csv');
    fs.copyFileSync(path.resolve('samples/sections.csv'), sample);
    const expectedRows = fs.readFileSync(sample, 'utf8').trim().split('\n').length - 1;
    const created = await sys.call(admin, 'POST', '/domains/slice/jobs', {
      id: 'sections', name: 'Sections', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${sample}`,
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.status, 'unscheduled');

    const run = await sys.call(admin, 'POST', '/domains/slice/jobs/sections/run');
    assert.equal(run.status, 202, run.text);
    assert.equal(run.json.result, 'started');

    const job = await waitForRun('/domains/slice/jobs/sections', 1);
    assert.equal(job.status, 'unscheduled');
    assert.equal(job.lastRuns[0].outcome, 'completed');
    assert.equal(job.lastRuns[0].counters.read, expectedRows);
    assert.equal(job.lastRuns[0].counters.inserted, expectedRows);
    assert.equal(job.lastRuns[0].counters.rejected, 0);

    const { rows } = await sys.db.query(`select section_id, title, capacity, meeting_days from sections where domain = 'slice' order by section_id`);
    assert.equal(rows.length, expectedRows);
    assert.deepEqual(rows.find((r) => r.section_id === 'ENG105-01'), { section_id: 'ENG105-01', title: 'Writing About "Place"', capacity: 25, meeting_days: 'MWF' });

    const history = await sys.call(admin, 'GET', '/domains/slice/jobs/sections/runs');
    assert.equal(history.json.total, 1);
    assert.equal(history.json.items[0].status, 'completed');
    assert.equal(history.json.items[0].trigger, 'manual');

    // The same file again: nothing new, nothing doubled.
    await sys.call(admin, 'POST', '/domains/slice/jobs/sections/run');
    const again = await waitForRun('/domains/slice/jobs/sections', 2);
    assert.equal(again.lastRuns[0].outcome, 'completed');
    assert.equal(again.lastRuns[0].counters.inserted, 0);
    assert.equal(again.lastRuns[0].counters.unchanged, expectedRows);
    const count = await sys.db.query(`select count(*)::int as n from sections where domain = 'slice'`);
    assert.equal(count.rows[0].n, expectedRows);
  });
});
