import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { RETENTION_SCHEDULE_ID } from '../../contracts/workflowIds';
import { retentionDeleted } from '../../infra/metrics';
import { connectWorker } from '../../worker/connection';
import { ensureRetentionSchedule } from '../../temporal/schedules';
import { createWorker } from '../../worker/createWorker';
import { testEnv } from '../setup/globalHooks';
import { createJob } from '../setup/jobs';
import { eventually, startSystem, type TestSystem } from '../setup/system';

/**
 * Retention (README, Retention): the system workflow deletes exactly what is old (runs past
 * RUN_RETENTION_DAYS, log lines and rejected rows past theirs, outbox rows nobody will
 * deliver) and never a job's last RETENTION_KEEP_RUNS runs, while runs go on.
 */
describe('retention', function () {
  this.timeout(180_000);
  let sys: TestSystem;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `retention-${crypto.randomUUID()}`;
  const policy = { RUN_RETENTION_DAYS: 90, LOG_RETENTION_DAYS: 30, REJECTED_ROWS_RETENTION_DAYS: 30, RETENTION_KEEP_RUNS: 3, RETENTION_BATCH_ROWS: 10 };

  before(async () => {
    sys = await startSystem();
    const connection = await connectWorker(testEnv().target);
    worker = await createWorker({
      connection, namespace: testEnv().namespace, taskQueue, workflowBundle: testEnv().workflowBundle,
      deps: { orm: sys.orm, pool: sys.db, temporal: sys.client, config: { ...sys.config, TEMPORAL_TASK_QUEUE: taskQueue, ...policy } },
      payloadCodecKeys: sys.config.PAYLOAD_CODEC_KEYS,
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await sys?.stop();
  });

  /** A job made through the API, run by hand only. */
  async function job(domain: string, id: string): Promise<string> {
    const token = await sys.token('domain_admin', domain);
    await createJob(sys, token, domain, { id, mode: 'batch', scheduling: { type: 'disabled' }, sourceUrl: `file://${sys.areaOf(domain)}/in.csv` });
    return (await sys.db.query<{ id: string }>('select id from jobs where domain = $1 and identifier = $2', [domain, id])).rows[0]!.id;
  }

  /** Run `number` of the job, ended `daysAgo` days ago (null: in progress), with 3 log lines and 25 rejected rows. */
  async function run(jobUuid: string, domain: string, number: number, daysAgo: number | null): Promise<void> {
    const { rows } = await sys.db.query<{ id: string }>(
      `insert into runs (job_id, domain, number, workflow_id, trigger, status, started_at, ended_at)
       values ($1, $2, $3, $4, 'manual', $5, now() - make_interval(days => $6::int), case when $7::int is null then null else now() - make_interval(days => $7::int) end)
       returning id`,
      [jobUuid, domain, number, `run-${domain}-${number}-${crypto.randomUUID()}`, daysAgo === null ? 'validating' : 'completed', (daysAgo ?? 0) + 200, daysAgo],
    );
    const runId = rows[0]!.id;
    await sys.db.query(`insert into run_logs (run_id, level, message) select $1, 'info', 'line ' || g from generate_series(1, 3) g`, [runId]);
    await sys.db.query(`insert into rejected_rows (run_id, line, reason, raw) select $1, g, 'bad', 'x' from generate_series(1, 25) g`, [runId]);
  }

  /** Per run number: whether the run is there, and how many log lines and rejected rows it has. */
  async function left(jobUuid: string): Promise<Map<number, { logs: number; rejected: number }>> {
    const { rows } = await sys.db.query<{ number: number; logs: string; rejected: string }>(
      `select r.number, (select count(*) from run_logs l where l.run_id = r.id) as logs, (select count(*) from rejected_rows x where x.run_id = r.id) as rejected
       from runs r where r.job_id = $1 order by r.number`, [jobUuid]);
    return new Map(rows.map((r) => [r.number, { logs: Number(r.logs), rejected: Number(r.rejected) }]));
  }

  const retain = () => sys.client.workflow.execute('retentionWorkflow', { taskQueue, workflowId: `retention-${crypto.randomUUID()}`, args: [] }) as Promise<Record<string, number>>;

  it('deletes old runs, and old log lines and rejected rows, and keeps every job\'s last runs whole', async () => {
    const a = await job('keep', 'alpha');
    const b = await job('keep', 'beta');
    const c = await job('other', 'gamma');
    for (let n = 1; n <= 8; n++) await run(a, 'keep', n, 120); // past every limit: gone
    for (let n = 9; n <= 12; n++) await run(a, 'keep', n, 40); // runs kept, their logs and rejected rows gone
    for (let n = 13; n <= 14; n++) await run(a, 'keep', n, 120); // old, but among the last 3
    await run(a, 'keep', 15, null); // in progress, started 200 days ago
    for (let n = 1; n <= 2; n++) await run(b, 'keep', n, 200); // a job with fewer runs than kept
    for (let n = 1; n <= 5; n++) await run(c, 'other', n, 100);

    const counted = async (kind: string) => (await retentionDeleted.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
    const before = { runs: await counted('runs'), rejected: await counted('rejected_rows') };
    const deleted = await retain();

    const whole = { logs: 3, rejected: 25 };
    const bare = { logs: 0, rejected: 0 };
    assert.deepEqual([...(await left(a)).entries()], [[9, bare], [10, bare], [11, bare], [12, bare], [13, whole], [14, whole], [15, whole]]);
    assert.deepEqual([...(await left(b)).entries()], [[1, whole], [2, whole]]);
    assert.deepEqual([...(await left(c)).entries()], [[3, whole], [4, whole], [5, whole]]);
    // Runs 1-8 of alpha and 1-2 of gamma went with their rows; 9-12 of alpha lost theirs.
    assert.equal(deleted.runs, 10);
    assert.equal(deleted.run_logs, (8 + 4 + 2) * 3);
    assert.equal(deleted.rejected_rows, (8 + 4 + 2) * 25);
    // The worker's metrics show the progress (jobflow_retention_deleted_total).
    assert.equal(await counted('runs') - before.runs, 10);
    assert.equal(await counted('rejected_rows') - before.rejected, (8 + 4 + 2) * 25);
  });

  it('never deletes the last runs while new runs keep starting', async () => {
    const d = await job('busy', 'delta');
    for (let n = 1; n <= 40; n++) await run(d, 'busy', n, 100);
    // Run 20 is held (as a run being written would be), so retention's delete of the batch
    // that holds it waits; the new runs below start and end while that delete is in flight.
    const holder = await sys.db.connect();
    let retention: Promise<Record<string, number>> | undefined;
    try {
      await holder.query('begin');
      await holder.query(`select id from runs where job_id = $1 and number = 20 for update`, [d]);
      retention = retain();
      await eventually(async () => {
        const { rowCount } = await sys.db.query(
          `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'delete from runs%'`);
        return rowCount ? true : undefined;
      }, 'retention\'s delete of runs waiting on the held run');
      for (let n = 41; n <= 46; n++) await run(d, 'busy', n, 0);
      await holder.query('commit');
    } finally {
      holder.release();
    }
    const deleted = (await retention)!;
    const numbers = [...(await left(d)).keys()];
    for (const n of [44, 45, 46]) assert.ok(numbers.includes(n), `run ${n} of the last three is kept (left: ${numbers.join(', ')})`);
    for (const n of [41, 42, 43]) assert.ok(numbers.includes(n), `run ${n}, which ended today, is kept`);
    // Every run of the 40 went, 38-40 too: they were the last three when retention began, and
    // were no longer once the new runs came.
    assert.deepEqual(numbers, [41, 42, 43, 44, 45, 46]);
    assert.equal(deleted.runs, 40);
  });

  it('prunes changes recorded for a domain that has no realtime export job, and only those', async () => {
    await sys.db.query(`insert into sections_outbox (domain, section_id, op) select 'orphan', 's' || g, 'delete' from generate_series(1, 35) g`);
    // Every realtime task type's outbox, not only the sections'.
    await sys.db.query(`insert into courses_outbox (domain, course_code, op) select 'orphan', 'c' || g, 'delete' from generate_series(1, 5) g`);
    await sys.db.query(`insert into jobs (id, domain, identifier, name, task_type, direction, mode)
                        values (gen_random_uuid(), 'live', 'rt', 'rt', 'sectionsCsv', 'export', 'realtime')`);
    await sys.db.query(`insert into sections_outbox (domain, section_id, op) select 'live', 's' || g, 'delete' from generate_series(1, 4) g`);
    const deleted = await retain();
    const count = async (domain: string) => Number((await sys.db.query<{ n: string }>('select count(*) as n from sections_outbox where domain = $1', [domain])).rows[0]!.n);
    assert.equal(await count('orphan'), 0);
    assert.equal((await sys.db.query(`select 1 from courses_outbox where domain = 'orphan'`)).rowCount, 0);
    assert.equal(await count('live'), 4);
    assert.equal(deleted.outbox, 40);
  });

  it('is a Temporal Schedule at RETENTION_CRON (UTC), made by every worker as it starts, once', async () => {
    await ensureRetentionSchedule(sys.client, { cron: '17 3 * * *', taskQueue });
    await ensureRetentionSchedule(sys.client, { cron: '45 2 * * *', taskQueue });
    const desc = await sys.client.schedule.getHandle(RETENTION_SCHEDULE_ID).describe();
    assert.equal(desc.action.type, 'startWorkflow');
    assert.equal(desc.action.type === 'startWorkflow' && desc.action.workflowType, 'retentionWorkflow');
    const next = desc.info.nextActionTimes[0]!;
    assert.deepEqual([next.getUTCHours(), next.getUTCMinutes()], [2, 45]);
    await sys.client.schedule.getHandle(RETENTION_SCHEDULE_ID).delete();
  });
});
