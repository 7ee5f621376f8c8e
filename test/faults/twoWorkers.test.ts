import assert from 'node:assert/strict';
import { startSystem, type TestSystem } from '../setup/system';
import { jobOnGeneratedFile, rowsOf, runCount, runNow, waitForEnd } from './helpers';

/** Scenario 5: two workers (two processes) on one task queue; every run is processed once. */
describe('fault: two workers on the same task queue', function () {
  this.timeout(10 * 60_000);
  let sys: TestSystem;
  before(async () => {
    sys = await startSystem();
    sys.spawnWorker();
  });
  after(async () => sys?.stop());

  it('runs each job once, with exactly its rows', async () => {
    const token = await sys.token('domain_admin', 'pair');
    const jobs = Array.from({ length: 8 }, (_, i) => `job${i}`);
    for (const id of jobs) await jobOnGeneratedFile(sys, token, 'pair', id, 5_000);
    await Promise.all(jobs.map((id) => runNow(sys, token, 'pair', id)));
    for (const id of jobs) {
      const run = await waitForEnd(sys, 'pair', id);
      assert.equal(run.status, 'completed', `${id}: ${run.reason}`);
      assert.equal(run.inserted, 5_000, id);
      assert.deepEqual(await rowsOf(sys, 'pair', id), { total: 5_000, distinct: 5_000 }, id);
      assert.equal(await runCount(sys, 'pair', id), 1, id);
    }
  });
});
