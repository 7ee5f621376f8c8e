import assert from 'node:assert/strict';
import { checkScheduledRuns, jobOnGeneratedFile, rowsOf, runCount, runNow, sleep, waitForEnd, waitForStatus } from '../faults/helpers';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { testCluster } from './clusterHooks';

/**
 * The Temporal restart fault on the real server: its process stopped and started again (on the
 * same PostgreSQL databases) during a run and between scheduled runs. The run finishes with
 * its rows once; no scheduled run is lost or doubled.
 */
describe('cluster fault: the Temporal server restarted', function () {
  this.timeout(10 * 60_000);
  let sys: TestSystem;
  let token: string;
  const restart = async (downMs: number) => {
    await testCluster().stop();
    await sleep(downMs);
    await testCluster().start();
  };
  before(async () => {
    sys = await startSystem();
    token = await sys.token('domain_admin', 'clr');
  });
  after(async () => sys?.stop());

  it('finishes a run that was in progress when the server stopped, with its rows once', async () => {
    await jobOnGeneratedFile(sys, token, 'clr', 'during', 100_000);
    await runNow(sys, token, 'clr', 'during');
    await waitForStatus(sys, 'clr', 'during', ['validating', 'processing', 'importing']);
    await restart(5_000);
    const run = await waitForEnd(sys, 'clr', 'during');
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.equal(run.inserted, 100_000);
    assert.deepEqual(await rowsOf(sys, 'clr', 'during'), { total: 100_000, distinct: 100_000 });
    assert.equal(await runCount(sys, 'clr', 'during'), 1);
  });

  it('neither loses nor doubles scheduled runs across a restart', async () => {
    await jobOnGeneratedFile(sys, token, 'clr', 'ticking', 10, {
      mode: 'realtime', scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 4 } },
    });
    await eventually(async () => ((await runCount(sys, 'clr', 'ticking')) >= 2 ? true : undefined), 'two scheduled runs');
    await restart(9_000);
    await eventually(async () => ((await runCount(sys, 'clr', 'ticking')) >= 5 ? true : undefined), 'more scheduled runs after the restart', 120_000);
    const pausedAt = Date.now();
    await sys.call(token, 'POST', '/domains/clr/jobs/ticking/pause', { note: 'end of test' });
    await sleep(6_000);
    // The schedule caught up on the ticks due while the server was down: every 4 s without a gap.
    await checkScheduledRuns(sys, 'clr', 'ticking', pausedAt, 4_000);
  });
});
