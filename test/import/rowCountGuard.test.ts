import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { median, unusualRowCount } from '../../domain/rowCountGuard';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { createJob, runNow, waitForRun } from './helpers';

/** The row-count guard (README, Row-count guard): a run reading far fewer rows than usual is flagged or halted. */
describe('import: row-count guard', function () {
  this.timeout(240_000);

  describe('the rule', () => {
    it('compares with the median of the last completed runs, and says nothing without enough of them', () => {
      assert.equal(median([5, 1, 9]), 5);
      assert.equal(median([4, 1, 9, 6]), 5);
      const guard = { belowPercent: 50, lastRuns: 5 };
      assert.equal(unusualRowCount(10, [100, 100], guard), undefined, 'two runs are not a habit');
      assert.equal(unusualRowCount(50, [100, 100, 100], guard), undefined, 'exactly at the threshold is usual');
      assert.match(unusualRowCount(49, [100, 100, 100], guard)!, /read 49 rows, under 50% of the 100 \(median\)/);
      assert.match(unusualRowCount(0, [3, 3, 3], { belowPercent: 1, lastRuns: 3 })!, /read no rows/);
      assert.equal(unusualRowCount(0, [0, 0, 0], guard), undefined, 'zero is usual for a job that reads nothing');
      assert.equal(unusualRowCount(10, [10, 10, 10, 10, 1000, 1000, 1000], { belowPercent: 50, lastRuns: 4 }), undefined, 'only the last runs count (newest first)');
    });
  });

  describe('through the API', () => {
    let sys: TestSystem;
    let admin: string;
    const domain = 'guarded';
    let source: string;
    const write = (rows: number) =>
      fs.writeFileSync(source, 'section_id,course_code\n' + Array.from({ length: rows }, (_, i) => `S${i},C${i}\n`).join(''));
    before(async () => {
      // No reruns: a halted run halts the job at once (the guard's halt is the same with them, only later).
      sys = await startSystem({ retryLimit: 0 });
      admin = await sys.token('domain_admin', domain);
      source = path.join(sys.areaOf(domain), 'sections.csv');
    });
    after(async () => sys?.stop());

    /** Runs the job now and waits for run `n`. */
    const runAndWait = async (id: string, n: number) => {
      await runNow(sys, admin, domain, id);
      return (await waitForRun(sys, admin, domain, id, n)).run;
    };

    it('warns: the run completes with an "unusual row count" warning, and loads its rows', async () => {
      write(20);
      const id = await createJob(sys, admin, domain, source, { rules: { rowCountGuard: { belowPercent: 50, lastRuns: 3 } } });
      for (let n = 1; n <= 3; n++) assert.equal((await runAndWait(id, n)).status, 'completed');
      write(4);
      const run = await runAndWait(id, 4);
      assert.equal(run.status, 'completed_with_warnings');
      assert.deepEqual(run.warningsByKind, { unusual_row_count: 1 });
      const logs = await sys.call(admin, 'GET', `/domains/${domain}/jobs/${id}/runs/4/logs`);
      assert.match(JSON.stringify(logs.json), /read 4 rows, under 50% of the 20 \(median\)/);
      // It is an import like any other: its 4 rows were read and loaded (all unchanged here).
      assert.equal(run.counters.read, 4);
      assert.equal(run.counters.unchanged, 4);
    });

    it('halts before loading and keeps the file; with the guard set to warn, the rerun imports it', async () => {
      write(30);
      const id = await createJob(sys, admin, domain, source, { rules: { rowCountGuard: { belowPercent: 50, lastRuns: 3, action: 'halt' } } });
      for (let n = 1; n <= 3; n++) assert.equal((await runAndWait(id, n)).status, 'completed');
      write(0);
      const halted = await runAndWait(id, 4);
      assert.equal(halted.status, 'halted');
      assert.match(halted.reason, /^The run read no rows, where the job's last 3 completed runs read 30 \(median\)\. Nothing was imported/);
      assert.ok(fs.existsSync(source), 'the file is kept for a rerun');
      const { rows } = await sys.db.query(`select count(*)::int as n from sections where domain = $1`, [domain]);
      assert.equal(rows[0].n, 30, 'nothing was loaded');
      await eventually(async () => (await sys.call(admin, 'GET', `/domains/${domain}/jobs/${id}`)).json.status === 'halted' || undefined, 'the job to halt');
      // A person has looked and the file is right: the guard warns instead, and the job runs again.
      const changed = await sys.call(admin, 'PATCH', `/domains/${domain}/jobs/${id}`, { rules: { rowCountGuard: { belowPercent: 50, lastRuns: 3, action: 'warn' } } });
      assert.equal(changed.status, 200, changed.text);
      const reactivated = await sys.call(admin, 'POST', `/domains/${domain}/jobs/${id}/reactivate`);
      assert.ok(reactivated.status < 300, reactivated.text);
      const run = await runAndWait(id, 5);
      assert.equal(run.status, 'completed_with_warnings');
      assert.equal(run.warningsByKind.unusual_row_count, 1);
    });

    it('refuses a guard it cannot use, naming the field', async () => {
      const res = await sys.call(admin, 'POST', `/domains/${domain}/jobs`, {
        id: 'badguard', name: 'x', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${source}`,
        rules: { rowCountGuard: { belowPercent: 0, lastRuns: 2 } },
      });
      assert.equal(res.status, 400, res.text);
      const fields = (res.json.errors as { field: string }[]).map((e) => e.field).sort();
      assert.deepEqual(fields, ['rules.rowCountGuard.belowPercent', 'rules.rowCountGuard.lastRuns']);
    });
  });
});
