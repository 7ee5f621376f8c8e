import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { jobOnGeneratedFile, rowsOf, runCount, runNow, runRecord, sleep, waitForEnd } from './helpers';

/**
 * Scenario 1: the worker process is SIGKILLed at random points of a 200,000-row import,
 * five times in a row, and restarted each time. The run must end completed with exactly the
 * file's rows: none lost, none doubled.
 */
describe('fault: worker killed five times during an import', function () {
  this.timeout(20 * 60_000);
  let sys: TestSystem;
  let worker: ChildProcess;
  before(async () => {
    sys = await startSystem({ inProcessWorker: false });
  });
  after(async () => sys?.stop());

  const kill = async () => {
    const exited = once(worker, 'exit');
    worker.kill('SIGKILL');
    await exited;
  };

  /** Resolves once an activity of the run was (re)started after `since` (ms), or the run ended. */
  const workResumedAfter = (since: number) =>
    eventually(async () => {
      if ((await runRecord(sys, 'crash', 'big'))?.ended_at) return true;
      const desc = await sys.client.workflow.getHandle('run-crash-big-1').describe().catch(() => undefined);
      const started = desc?.raw.pendingActivities?.[0]?.lastStartedTime;
      const ms = started ? Number(started.seconds) * 1000 + Math.floor((started.nanos ?? 0) / 1e6) : 0;
      return ms > since ? true : undefined;
    }, 'the run to be at work again', 120_000);

  it('completes with exactly the right rows', async () => {
    const rows = 200_000;
    const token = await sys.token('domain_admin', 'crash');
    await jobOnGeneratedFile(sys, token, 'crash', 'big', rows);
    worker = sys.spawnWorker();
    await runNow(sys, token, 'crash', 'big');

    const killedIn: string[] = [];
    let killedAt = 0;
    for (let i = 0; i < 5; i++) {
      // Wait until the new worker is at work again (a phase started after the last kill),
      // then kill it at a random point of that work.
      await workResumedAfter(killedAt);
      await sleep(200 + Math.floor(Math.random() * 1_300));
      const before = await runRecord(sys, 'crash', 'big');
      if (before?.ended_at) break;
      killedIn.push(before?.status ?? 'not started');
      killedAt = Date.now();
      await kill();
      worker = sys.spawnWorker();
    }
    const run = await waitForEnd(sys, 'crash', 'big');
    await kill();
    console.log(`      killed in: ${killedIn.join(', ')}`);

    assert.equal(killedIn.length, 5, `the worker was killed only ${killedIn.length} times before the run ended`);
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.equal(run.read, rows);
    assert.equal(run.inserted, rows);
    assert.deepEqual(await rowsOf(sys, 'crash', 'big'), { total: rows, distinct: rows });
    assert.equal(await runCount(sys, 'crash', 'big'), 1, 'a crash must not start another run');
  });
});
