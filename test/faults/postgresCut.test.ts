import assert from 'node:assert/strict';
import { startSystem, type TestSystem } from '../setup/system';
import { jobOnGeneratedFile, rowsOf, runCount, runNow, runRecord, sleep, waitForEnd, waitForStatus } from './helpers';

/**
 * Scenario 3: every PostgreSQL connection of the system is cut (pg_terminate_backend) while
 * a run validates and again while it loads. Activities retry; the run completes; nothing is
 * doubled.
 */
describe('fault: PostgreSQL connections cut in the middle of a run', function () {
  this.timeout(10 * 60_000);
  let sys: TestSystem;
  before(async () => {
    sys = await startSystem();
  });
  after(async () => sys?.stop());

  const cutEveryConnection = async () => {
    const { rows } = await sys.db.query(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    return rows[0].n as number;
  };

  it('retries and completes with exactly the right rows', async () => {
    const rows = 300_000;
    const token = await sys.token('domain_admin', 'cut');
    // A section from before: not a first load, so the run validates, processes and loads in turn.
    await sys.db.query(`insert into sections (domain, section_id, course_code) values ('cut', 'before', 'C1')`);
    await jobOnGeneratedFile(sys, token, 'cut', 'loaded', rows);
    await runNow(sys, token, 'cut', 'loaded');

    await waitForStatus(sys, 'cut', 'loaded', ['validating']);
    await sleep(200);
    // The test holds the month's usage table, which loading locks first: the second cut finds
    // the run loading however fast this machine validates (the cut ends the hold too).
    const hold = await sys.db.connect();
    hold.on('error', () => undefined);
    await hold.query('begin');
    await hold.query('lock table monthly_usage in exclusive mode');
    const first = await cutEveryConnection();
    const cutWhile = [(await runRecord(sys, 'cut', 'loaded'))?.status];
    await waitForStatus(sys, 'cut', 'loaded', ['importing']);
    await sleep(300);
    cutWhile.push((await runRecord(sys, 'cut', 'loaded'))?.status);
    const second = await cutEveryConnection();
    hold.release(true);
    const run = await waitForEnd(sys, 'cut', 'loaded');

    assert.ok(first > 0 && second > 0, `connections cut: ${first}, ${second}`);
    assert.equal(cutWhile[1], 'importing', `cut while: ${cutWhile.join(', ')}`);
    assert.notEqual(cutWhile[0], 'completed', `cut while: ${cutWhile.join(', ')}`);
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.equal(run.inserted, rows);
    assert.deepEqual(await rowsOf(sys, 'cut', 'loaded'), { total: rows, distinct: rows });
    assert.equal(await runCount(sys, 'cut', 'loaded'), 1);
  });
});
