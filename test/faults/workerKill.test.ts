import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { jobOnGeneratedFile, rowsOf, runCount, runNow, runRecord, sleep, waitForEnd } from './helpers';

/**
 * Scenario 1: the worker process is SIGKILLed at random points of a 200,000-row import,
 * five times in a row, and restarted each time. The run must end completed with exactly the
 * file's rows: none lost, none doubled, the month's usage counted once. Twice: through the
 * staging table (the domain already has a section), and a first load, which goes straight
 * into the table in one transaction (io/import/directLoad.ts).
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

  /** The phases in run order, as the run record names them (one activity runs them all). */
  const PHASES = ['validating', 'processing', 'importing'];

  /**
   * When the run's activity attempt started (ms), once an attempt started after `since` and the
   * run record is in phase `atLeast` or a later one; 0 if the run ended first.
   */
  const attemptStarted = (domain: string, atLeast: number, since: number) =>
    eventually(async () => {
      const record = await runRecord(sys, domain, 'big');
      if (record?.ended_at) return 0;
      const desc = await sys.client.workflow.getHandle(`run-${domain}-big-1`).describe().catch(() => undefined);
      const pending = desc?.raw.pendingActivities?.[0];
      const ms = optionalTsToMs(pending?.lastStartedTime) ?? 0;
      return ms > since && PHASES.indexOf(record?.status ?? '') >= atLeast ? ms : undefined;
    }, 'the run to be at work again', 120_000);

  const usageOf = async (domain: string) => Number((await sys.db.query('select coalesce(sum(rows), 0) as n from monthly_usage where domain = $1', [domain])).rows[0].n);

  it('through the staging table: completes with exactly the right rows', async () => {
    const domain = 'crash';
    const rows = 200_000;
    const token = await sys.token('domain_admin', domain);
    // A section from before: not a first load, so validation stages and checkpoints.
    await sys.db.query(`insert into sections (domain, section_id, course_code) values ($1, 'before', 'C1')`, [domain]);
    await jobOnGeneratedFile(sys, token, domain, 'big', rows);
    // Validation commits and checkpoints every 20,000 rows, so kills there test resuming.
    const spawn = () => sys.spawnWorker({ IMPORT_CHUNK_ROWS: '20000' });
    worker = spawn();
    await runNow(sys, token, domain, 'big');

    // Five random phases, in run order (say validate, process, process, load, load); each
    // kill lands at a random point of an attempt of that phase (or a later one, when an
    // earlier kill's point fell past its phase's end).
    const targets = Array.from({ length: 5 }, () => Math.floor(Math.random() * PHASES.length)).sort();
    const killedIn: string[] = [];
    let killedAt = 0;
    for (const target of targets) {
      // 50-500 ms after the attempt started, timed from its start rather than from when the
      // poll noticed it: whatever that lands in, at least the load (one transaction, redone
      // whole, about a second for these rows) is still to do, so the run cannot end first.
      const started = await attemptStarted(domain, target, killedAt);
      if (!started) break;
      await sleep(started + 50 + Math.floor(Math.random() * 450) - Date.now());
      const before = await runRecord(sys, domain, 'big');
      if (before?.ended_at) break;
      killedIn.push(before?.status ?? 'not started');
      killedAt = Date.now();
      await kill();
      worker = spawn();
    }
    const run = await waitForEnd(sys, domain, 'big');
    await kill();
    console.log(`      killed in: ${killedIn.join(', ')}`);

    assert.equal(killedIn.length, 5, `the worker was killed only ${killedIn.length} times before the run ended`);
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.equal(run.read, rows);
    assert.equal(run.inserted, rows);
    assert.deepEqual(await rowsOf(sys, domain, 'big'), { total: rows, distinct: rows });
    assert.equal(await usageOf(domain), rows);
    assert.equal(await runCount(sys, domain, 'big'), 1, 'a crash must not start another run');
  });

  it('a first load, straight into the table: killed anywhere in its one transaction, it ends with exactly the right rows', async () => {
    const domain = 'crashdirect';
    // Three times the staged test's rows: on an idle machine 200,000 went in before the first kill.
    const rows = 600_000;
    const token = await sys.token('domain_admin', domain);
    await jobOnGeneratedFile(sys, token, domain, 'big', rows);
    worker = sys.spawnWorker({ IMPORT_CHUNK_ROWS: '20000' });
    await runNow(sys, token, domain, 'big');
    // Each attempt reads the file from the start (its work dies with the connection): kills
    // land 50 ms to 1.5 s into the attempt (the whole read takes several seconds), or after
    // the commit, in the phases that then have nothing left to do.
    const killedIn: string[] = [];
    let killedAt = 0;
    for (let i = 0; i < 5; i++) {
      const started = await attemptStarted(domain, 0, killedAt);
      if (!started) break;
      await sleep(started + 50 + Math.floor(Math.random() * 1_450) - Date.now());
      const before = await runRecord(sys, domain, 'big');
      if (before?.ended_at) break;
      killedIn.push(before?.status ?? 'not started');
      killedAt = Date.now();
      await kill();
      // Nothing of an attempt killed before its commit is in the table.
      const partial = await rowsOf(sys, domain, 'big');
      assert.ok(partial.total === 0 || partial.total === rows, `after a kill: ${partial.total} rows`);
      worker = sys.spawnWorker({ IMPORT_CHUNK_ROWS: '20000' });
    }
    const run = await waitForEnd(sys, domain, 'big');
    await kill();
    console.log(`      killed in: ${killedIn.join(', ')}`);

    assert.ok(killedIn.length >= 3, `the worker was killed only ${killedIn.length} times before the run ended`);
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.equal(run.read, rows);
    assert.equal(run.inserted, rows);
    assert.deepEqual(await rowsOf(sys, domain, 'big'), { total: rows, distinct: rows });
    assert.equal(await usageOf(domain), rows);
    assert.equal(await runCount(sys, domain, 'big'), 1, 'a crash must not start another run');
    const { rows: logs } = await sys.db.query(`select message from run_logs l join runs r on r.id = l.run_id where r.domain = $1`, [domain]);
    assert.ok(logs.some((l) => /straight into the table/.test(l.message)), 'the run took the direct path');
  });
});
