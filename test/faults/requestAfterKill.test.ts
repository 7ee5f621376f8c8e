import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { jobOnGeneratedFile, runCount, runNow, runRecord, sleep, waitForEnd } from './helpers';

/**
 * A run-now to a job whose workflow was cached on a worker that was SIGKILLed: Temporal first
 * offers the request to the dead worker's sticky queue, so it may answer 503 (and the request
 * expires unapplied) until a new worker takes the workflow over. Every 503 must leave nothing
 * behind: the job runs once for the request that was answered, never for the expired ones.
 */
describe('fault: run-now after the worker holding the job was killed', function () {
  this.timeout(5 * 60_000);
  const TIMEOUT_MS = 5_000; // RUN_REQUEST_TIMEOUT_MS's default
  let sys: TestSystem;
  let worker: ChildProcess | undefined;
  before(async () => {
    sys = await startSystem({ inProcessWorker: false, runRequestTimeoutMs: TIMEOUT_MS });
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await sys?.stop();
  });

  it('answers 503 until a new worker takes over, then runs once for the answered request', async () => {
    const token = await sys.token('domain_admin', 'killed');
    await jobOnGeneratedFile(sys, token, 'killed', 'cached', 100);
    worker = sys.spawnWorker();
    await runNow(sys, token, 'killed', 'cached');
    assert.equal((await waitForEnd(sys, 'killed', 'cached', 120_000)).status, 'completed');
    // The job workflow has taken the run's end in: the workflow is idle, and cached on this worker.
    await eventually(async () => {
      const job = (await sys.call(token, 'GET', '/domains/killed/jobs/cached')).json;
      return job.status === 'unscheduled' && job.lastRuns.length === 1 ? true : undefined;
    }, 'the job idle after run 1');

    const exited = once(worker, 'exit');
    worker.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    worker = sys.spawnWorker();
    const answers: string[] = [];
    for (;;) {
      const t0 = Date.now();
      const res = await sys.call(token, 'POST', '/domains/killed/jobs/cached/run');
      answers.push(`${res.status} after ${Date.now() - t0} ms`);
      if (res.status === 202) {
        assert.equal(res.json.result, 'started');
        break;
      }
      assert.equal(res.status, 503, res.text);
      assert.ok(Date.now() - t0 < TIMEOUT_MS + 1_500, `a 503 came after ${Date.now() - t0} ms`);
      assert.ok(Date.now() - killedAt < 120_000, `no worker took over in 2 minutes: ${answers.join(', ')}`);
    }
    console.log(`      run-now answers from the kill on (${Date.now() - killedAt} ms in all): ${answers.join('; ')}`);
    await eventually(async () => (await runRecord(sys, 'killed', 'cached', 2))?.ended_at ?? undefined, 'run 2 to end', 120_000);
    // The expired requests were refused when a worker finally saw them: no run for them.
    await sleep(3_000);
    assert.equal(await runCount(sys, 'killed', 'cached'), 2);
  });
});
