import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { startSystem, type TestSystem } from '../setup/system';
import {
  jobOnGeneratedFile, rowsOf, runCount, runNow, sleep, startThrowawayPostgres, waitForEnd, waitForStatus, type ThrowawayPostgres,
} from './helpers';

/**
 * Scenario 6: the PostgreSQL server itself is stopped (`pg_ctl stop -m fast`) for ten
 * seconds while a run streams its file into staging, and again while it loads into the
 * target. The server is a throwaway cluster of this test's own (the machine's server is
 * shared). The worker is a process of its own, as in production: it must survive the outage
 * (no uncaught pool error), its activities retry, the run completes, nothing is doubled.
 */
describe('fault: PostgreSQL server stopped for ten seconds during a run', function () {
  this.timeout(15 * 60_000);
  let pgServer: ThrowawayPostgres;
  let sys: TestSystem;
  let worker: ChildProcess;
  const exits: string[] = [];

  before(async () => {
    pgServer = await startThrowawayPostgres();
    sys = await startSystem({ databaseUrl: pgServer.url, inProcessWorker: false });
    worker = sys.spawnWorker();
    worker.once('exit', (code, signal) => exits.push(`worker exited: code ${code}, signal ${signal}`));
  });
  after(async () => {
    await sys?.stop();
    pgServer?.destroy();
  });

  const outage = async (ms: number) => {
    const t0 = Date.now();
    pgServer.stop();
    await sleep(ms);
    pgServer.start();
    return Date.now() - t0;
  };

  it('retries, completes, and loads every row exactly once', async () => {
    const rows = 150_000;
    const token = await sys.token('domain_admin', 'stop');
    await jobOnGeneratedFile(sys, token, 'stop', 'loaded', rows);
    await runNow(sys, token, 'stop', 'loaded');

    // First outage: in the middle of streaming the file into staging (validating).
    await waitForStatus(sys, 'stop', 'loaded', ['validating'], 180_000);
    await sleep(700);
    const first = await outage(10_000);
    // Second outage: as the load into the target starts (or right after it, if it was quick).
    const phase = (await waitForStatus(sys, 'stop', 'loaded', ['importing', 'completed'], 300_000)).status;
    const second = await outage(10_000);
    console.log(`      server down ${first} ms while validating, ${second} ms when ${phase}`);

    const run = await waitForEnd(sys, 'stop', 'loaded');
    assert.deepEqual(exits, [], 'the worker survived the outages');
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.equal(run.read, rows);
    assert.equal(run.inserted, rows);
    assert.deepEqual(await rowsOf(sys, 'stop', 'loaded'), { total: rows, distinct: rows });
    assert.equal(await runCount(sys, 'stop', 'loaded'), 1);
    // The usage counter was charged once, not once per attempt.
    const usage = await sys.db.query(`select coalesce(sum(rows), 0)::int as n from monthly_usage where domain = 'stop'`);
    assert.equal(usage.rows[0].n, rows);
  });

  it('runs again normally after the outages', async () => {
    const token = await sys.token('domain_admin', 'stop');
    await jobOnGeneratedFile(sys, token, 'stop', 'after', 1_000);
    await runNow(sys, token, 'stop', 'after');
    const run = await waitForEnd(sys, 'stop', 'after', 180_000);
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.deepEqual(await rowsOf(sys, 'stop', 'after'), { total: 1_000, distinct: 1_000 });
    assert.deepEqual(exits, [], 'the worker is still up');
  });
});
