import assert from 'node:assert/strict';
import { jobOnGeneratedFile, runNow, waitForEnd } from '../faults/helpers';
import { startSystem, type TestSystem } from '../setup/system';
import { testCluster } from './clusterHooks';

/** The server's `action` counter (what Temporal Cloud bills by), summed over the namespace's series. */
async function serverActions(namespace: string): Promise<number> {
  const res = await fetch(testCluster().metricsUrl);
  assert.equal(res.status, 200);
  let total = 0;
  for (const line of (await res.text()).split('\n')) {
    const m = /^action(?:_total)?\{([^}]*)\} ([\d.e+]+)$/.exec(line);
    if (m && m[1]!.includes(`namespace="${namespace}"`)) total += Number(m[2]);
  }
  return total;
}

/** `npm run temporal:cluster` exposes the server's Prometheus endpoint; a run's actions show on it. */
describe('cluster: the server\'s own metrics', function () {
  this.timeout(5 * 60_000);
  let sys: TestSystem;
  before(async () => {
    sys = await startSystem();
  });
  after(async () => sys?.stop());

  it('counts the actions of a run on the server\'s Prometheus endpoint', async () => {
    const token = await sys.token('domain_admin', 'clm');
    await jobOnGeneratedFile(sys, token, 'clm', 'counted', 100);
    const namespace = sys.client.options.namespace;
    // The job workflow is started (and waits) when the job is saved: count from there.
    const before = await serverActions(namespace);
    await runNow(sys, token, 'clm', 'counted');
    assert.equal((await waitForEnd(sys, 'clm', 'counted')).status, 'completed');
    // The server's counters reach its endpoint when its metrics scope reports (on an interval):
    // read until they have moved and then held still for two seconds.
    let actions = 0;
    for (let settled = 0, waited = 0; settled < 2 && waited < 30; waited++) {
      await new Promise((r) => setTimeout(r, 1_000));
      const now = (await serverActions(namespace)) - before;
      settled = now > 0 && now === actions ? settled + 1 : 0;
      actions = now;
    }
    // A run: the run-now signal, the run workflow started as a child, its activities, its
    // result taken in by the job workflow; a handful of actions, not none and not hundreds.
    assert.ok(actions >= 3 && actions <= 60, `actions for one run: ${actions}`);
  });
});
