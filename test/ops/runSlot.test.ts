import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pg from 'pg';
import { claimRunSlot, jobWaitsForSlot, setScheduledRunsAskJob, type SlotClaim, type SlotRequest } from '../../io/runSlot';
import { testEnv } from '../setup/globalHooks';

/** The run slot on the real PostgreSQL (io/runSlot.ts): one run of a job at a time, numbered once, whoever asks. */
describe('run slot', () => {
  let pool: pg.Pool;
  before(() => {
    pool = new pg.Pool({ connectionString: testEnv().databaseUrl, max: 12 });
  });
  after(async () => pool?.end());

  const domain = 'slotio';
  /** A job row of its own, its scheduled runs free to run unless `askJob`. */
  const newJob = async (askJob = false) => {
    const jobId = `j${crypto.randomBytes(4).toString('hex')}`;
    await pool.query(
      `insert into jobs (id, domain, identifier, name, task_type, direction, mode, rules, source_url, scheduled_runs_ask_job)
       values ($1, $2, $3, 'Slot', 'sectionsCsv', 'import', 'batch', '{}', 'file:///nowhere.csv', $4)`,
      [crypto.randomUUID(), domain, jobId, askJob],
    );
    return jobId;
  };
  const scheduled = (jobId: string, at: string): SlotRequest => ({ domain, jobId, trigger: 'schedule', attempt: 1, scheduledAt: at, workflowId: `run-${domain}-${jobId}-at-${at}` });
  const byJob = (jobId: string, after = 0): SlotRequest => ({ domain, jobId, trigger: 'manual', attempt: 1, after });
  const records = async (jobId: string) => (await pool.query<{ number: number; workflow_id: string; ended: boolean }>(
    `select r.number, r.workflow_id, r.ended_at is not null as ended from runs r join jobs j on j.id = r.job_id
     where j.domain = $1 and j.identifier = $2 order by r.number`, [domain, jobId])).rows;
  const end = (jobId: string, number: number) => pool.query(
    `update runs set ended_at = now(), status = 'completed' from jobs j where j.id = runs.job_id and j.domain = $1 and j.identifier = $2 and runs.number = $3`, [domain, jobId, number]);
  const numberOf = (c: SlotClaim) => (c.taken ? c.number : undefined);

  it('lets one of many claims at once take the slot, and records one run', async () => {
    const jobId = await newJob();
    const claims = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => claimRunSlot(pool, scheduled(jobId, `2026-12-07T10:0${i}:00Z`))),
      ...Array.from({ length: 6 }, () => claimRunSlot(pool, byJob(jobId))),
    ]);
    const winners = claims.filter((c) => c.taken);
    assert.equal(winners.length, 1, JSON.stringify(claims));
    assert.ok(claims.filter((c) => !c.taken).every((c) => 'heldBy' in c && c.heldBy.number === 1));
    assert.deepEqual((await records(jobId)).map((r) => [r.number, r.ended]), [[1, false]]);
  });

  it('numbers each run once, above the job workflow\'s own count, whoever starts it', async () => {
    const jobId = await newJob();
    assert.equal(numberOf(await claimRunSlot(pool, byJob(jobId, 7))), 8);
    await end(jobId, 8);
    assert.equal(numberOf(await claimRunSlot(pool, scheduled(jobId, '2026-12-07T11:00:00Z'))), 9);
    await end(jobId, 9);
    assert.equal(numberOf(await claimRunSlot(pool, byJob(jobId, 7))), 10);
    assert.deepEqual((await records(jobId)).map((r) => r.number), [8, 9, 10]);
  });

  it('gives a retried claim its own run again, not a second one', async () => {
    const jobId = await newJob();
    const first = await claimRunSlot(pool, scheduled(jobId, '2026-12-07T12:00:00Z'));
    assert.deepEqual(await claimRunSlot(pool, scheduled(jobId, '2026-12-07T12:00:00Z')), first);
    await end(jobId, 1);
    assert.deepEqual(await claimRunSlot(pool, scheduled(jobId, '2026-12-07T12:00:00Z')), first, 'even after the run ended');
    const mine = await claimRunSlot(pool, byJob(jobId, 1));
    assert.equal(numberOf(mine), 2);
    assert.deepEqual(await claimRunSlot(pool, byJob(jobId, 1)), mine);
    assert.equal((await records(jobId)).length, 2);
  });

  it("sends a scheduled run to the job workflow when the job says so, never the job's own", async () => {
    const jobId = await newJob(true);
    assert.deepEqual(await claimRunSlot(pool, scheduled(jobId, '2026-12-07T13:00:00Z')), { taken: false, askJob: true });
    assert.equal(numberOf(await claimRunSlot(pool, byJob(jobId))), 1);
    await end(jobId, 1);
    await setScheduledRunsAskJob(pool, domain, jobId, false);
    assert.equal(numberOf(await claimRunSlot(pool, scheduled(jobId, '2026-12-07T13:01:00Z'))), 2);
    assert.deepEqual(await claimRunSlot(pool, { ...byJob(jobId), jobId: 'gone' }), { taken: false, jobMissing: true });
  });

  it('says a job waits behind a scheduled run until the job takes the slot', async () => {
    const jobId = await newJob();
    assert.equal(numberOf(await claimRunSlot(pool, scheduled(jobId, '2026-12-07T14:00:00Z'))), 1);
    assert.equal(await jobWaitsForSlot(pool, domain, jobId), false);
    const held = await claimRunSlot(pool, byJob(jobId));
    assert.ok(!held.taken && 'heldBy' in held && held.heldBy.workflowId === `run-${domain}-${jobId}-at-2026-12-07T14:00:00Z`);
    await end(jobId, 1);
    assert.equal(await jobWaitsForSlot(pool, domain, jobId), true);
    assert.equal(numberOf(await claimRunSlot(pool, byJob(jobId))), 2);
    assert.equal(await jobWaitsForSlot(pool, domain, jobId), false);
  });
});
