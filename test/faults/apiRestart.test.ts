import assert from 'node:assert/strict';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { jobOnGeneratedFile, rowsOf, runNow, waitForEnd, waitForStatus } from './helpers';

/** Scenario 4: the API restarts while a run goes on; nothing it showed before is lost. */
describe('fault: API restarted during a run', function () {
  this.timeout(10 * 60_000);
  let sys: TestSystem;
  before(async () => {
    sys = await startSystem();
  });
  after(async () => sys?.stop());

  it('shows the same job and the finished run after the restart', async () => {
    const token = await sys.token('domain_admin', 'restart');
    await jobOnGeneratedFile(sys, token, 'restart', 'steady', 50_000);
    await runNow(sys, token, 'restart', 'steady');
    await waitForStatus(sys, 'restart', 'steady', ['validating', 'processing', 'importing']);
    const before = await sys.call(token, 'GET', '/domains/restart/jobs/steady');
    assert.equal(before.json.status, 'running');

    await sys.restartApi();
    const during = await sys.call(token, 'GET', '/domains/restart/jobs/steady');
    assert.equal(during.status, 200, 'the token and the job survive the restart');
    const run = await waitForEnd(sys, 'restart', 'steady');
    assert.equal(run.status, 'completed', run.reason ?? '');
    // The run's record ends a moment before its job workflow hears the run is over.
    const after = await eventually(async () => {
      const r = await sys.call(token, 'GET', '/domains/restart/jobs/steady');
      return r.json?.lastRuns?.length ? r : undefined;
    }, 'the job to list its finished run');
    assert.equal(after.json.lastRuns[0].outcome, 'completed');
    assert.equal(after.json.lastRuns[0].counters.inserted, 50_000);
    assert.deepEqual(await rowsOf(sys, 'restart', 'steady'), { total: 50_000, distinct: 50_000 });
  });
});
