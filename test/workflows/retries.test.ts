import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { FAILED_TYPES, HALTED_TYPES } from '../../domain/failures';
import { jobScheduleId } from '../../contracts/workflowIds';
import { deleteJobSchedule, setSchedulePaused, upsertJobSchedule } from '../../temporal/schedules';
import { eventually } from '../setup/system';
import { act, GOOD_COUNTERS, runNow, startJob, startWorkflowTestEnv, timersStarted, waitForJob, type WorkflowTestEnv } from './helpers';

const MINUTES_15 = 15 * 60_000;
const sourceMissing = async (): Promise<never> => {
  throw ApplicationFailure.nonRetryable('The source file /data/files/wf/in.csv does not exist.', FAILED_TYPES.sourceUnavailable);
};
const LIMIT = 'Limit reached: domain wf has imported 10000000 of its 10000000 rows this month.';
const overLimit = async (): Promise<never> => {
  throw ApplicationFailure.nonRetryable(LIMIT, HALTED_TYPES.limitReached);
};

/**
 * The job workflow's retry rules with mocked activities: a failed run's rerun 15 minutes later
 * (the default RUN_RETRY_INTERVAL, read where a user sees it: the status and the timer in the
 * history), reruns actually happening with a short interval (the job's settings are the seam),
 * and a halt that pauses the job's real Temporal Schedule.
 */
describe('workflows: retries and halts', function () {
  // Each test takes a second or two: one that hangs has found a bug, not a slow machine.
  this.timeout(30_000);
  let t: WorkflowTestEnv;
  before(async () => {
    t = await startWorkflowTestEnv();
  });
  afterEach(async () => t.reset());
  after(async () => t?.stop());

  it('a failed run is rerun 15 minutes after it ended: the status shows when, and the workflow sleeps exactly that long', async () => {
    t.mocks.set({ validateImport: sourceMissing });
    const job = await startJob(t, 'retry-15m'); // the default settings: 5 retries, 15 minutes apart
    await runNow(job);
    const v = await waitForJob(job, (s) => !!s.retry, 'a retry pending');

    const [run] = v.lastRuns;
    assert.deepEqual([run?.number, run?.outcome, run?.reason], [1, 'failed', 'The source file /data/files/wf/in.csv does not exist.']);
    assert.deepEqual({ ...v.retry, dueAt: undefined }, { kind: 'failed', retriesDone: 0, dueAt: undefined });
    assert.equal(Date.parse(v.retry!.dueAt) - Date.parse(run!.endedAt), MINUTES_15, 'due 15 minutes after the failed run ended');
    assert.equal(v.status, 'unscheduled');
    assert.equal(v.currentRun, undefined);
    // The timer the workflow started when the run ended: 15 minutes to the millisecond.
    assert.equal((await timersStarted(job)).at(-1), MINUTES_15);
    assert.equal(t.mocks.of('recordRunStart', 'retry-15m').length, 1, 'not rerun early');
  });

  it('with a short interval the reruns happen: attempts 2 and 3, that far apart, one alert when they are used up, one notice on recovery', async () => {
    t.mocks.set({ validateImport: sourceMissing });
    const job = await startJob(t, 'retry-short', { settings: { retryLimit: 2, retryIntervalMs: 700, sendReport: true } });
    await runNow(job);
    const v = await waitForJob(job, (s) => s.lastRuns.length === 3 && !s.currentRun && !s.retry, 'three runs and no retry pending');

    assert.deepEqual(t.mocks.of('recordRunStart', 'retry-short').map((r) => [r.runNumber, r.trigger, r.attempt]), [
      [1, 'manual', 1], [2, 'retry', 2], [3, 'retry', 3],
    ]);
    const [first, second, third] = [...v.lastRuns].reverse();
    for (const [ended, next] of [[first!, second!], [second!, third!]] as const) {
      assert.ok(Date.parse(next.startedAt) - Date.parse(ended.endedAt) >= 700, `run ${next.number} started 700 ms or more after run ${ended.number} ended`);
    }
    assert.deepEqual(v.lastRuns.map((r) => r.outcome), ['failed', 'failed', 'failed']);
    assert.equal(v.status, 'unscheduled', 'a failing job is not halted');
    assert.equal(v.needsAttention, true);
    // Nothing while it is retried; one alert once the retries are used up.
    await eventually(async () => (t.mocks.of('notifyRun', 'retry-short').length >= 2 ? true : undefined), 'the alert', 15_000);
    assert.deepEqual(t.mocks.of('notifyRun', 'retry-short').map((n) => [n.runNumber, n.notice]), [[1, 'started'], [3, 'needs_attention']]);

    t.mocks.reset(); // the source is back
    await runNow(job);
    await eventually(async () => (t.mocks.of('notifyRun', 'retry-short').length >= 4 ? true : undefined), 'the recovery notice', 15_000);
    assert.deepEqual(t.mocks.of('notifyRun', 'retry-short').slice(2).map((n) => [n.runNumber, n.notice]), [[4, 'started'], [4, 'recovered']]);
    const back = await waitForJob(job, (s) => !s.currentRun, 'run 4 ended');
    assert.equal(back.needsAttention, undefined);
  });

  it('a run that still halts after its retries halts the job and pauses its schedule; ticks are refused until reactivated', async () => {
    const jobId = 'halts';
    // The job's real Schedule (ticks start scheduledRunWorkflow on this task queue), kept in step by the real syncSchedule.
    await upsertJobSchedule(t.client, {
      domain: t.domain, jobId, name: 'Halts', mode: 'batch', taskType: 'sections', timing: { kind: 'cron', expression: '0 6 * * *' }, timezone: 'UTC', taskQueue: t.taskQueue, catchupWindowMs: 600_000,
    });
    const schedule = t.client.schedule.getHandle(jobScheduleId(t.domain, jobId));
    try {
      // The schedule's pause itself (the ledger's note of it needs the database this suite does without).
      t.mocks.set({ syncSchedule: (i: { domain: string; jobId: string; pausedNote?: string }) => setSchedulePaused(t.client, i.domain, i.jobId, i.pausedNote), validateImport: overLimit });
      const job = await startJob(t, jobId, { settings: { hasSchedule: true, retryLimit: 1, retryIntervalMs: 300 } });
      const ready = await waitForJob(job, (s) => !!s.nextRunAt, 'the next run time from the schedule');
      assert.equal(ready.status, 'scheduled');
      assert.match(ready.nextRunAt!, /T06:00:00\.000Z$/);

      assert.deepEqual(await runNow(job), { result: 'started' });
      const halted = await waitForJob(job, (s) => s.status === 'halted', 'the job halted');
      assert.deepEqual(halted.lastRuns.map((r) => [r.number, r.trigger, r.outcome]), [[2, 'retry', 'halted'], [1, 'manual', 'halted']]);
      assert.equal(halted.halted?.reason, LIMIT);
      await eventually(async () => ((await schedule.describe()).state.paused ? true : undefined), 'the schedule paused', 15_000);
      assert.equal((await schedule.describe()).state.note, `Halted: ${LIMIT}`);

      // A tick of the schedule (as Temporal starts it) and a person are both refused.
      await schedule.trigger();
      const refused = await waitForJob(job, (s) => s.refusals.some((r) => r.trigger === 'schedule'), 'the tick refused');
      assert.equal(refused.refusals[0]?.reason, `The job is halted (${LIMIT}); reactivate it first.`);
      // The refused tick's time goes into the missed-schedule ledger, as missed for the halt.
      const missed = await eventually(async () => t.mocks.of('recordMissedSchedule', jobId)[0], 'the refused tick recorded missed', 15_000);
      assert.deepEqual([missed.reason, missed.detail], ['halted', `The job is halted (${LIMIT}); reactivate it first.`]);
      assert.deepEqual(await runNow(job), { result: 'refused', reason: `The job is halted (${LIMIT}); reactivate it first.` });
      assert.equal(t.mocks.of('recordRunStart', jobId).length, 2);

      t.mocks.set({ validateImport: async () => GOOD_COUNTERS }); // the limit is lifted
      await act(job, { action: 'reactivate', by: 'ada' });
      await eventually(async () => ((await schedule.describe()).state.paused ? undefined : true), 'the schedule unpaused', 15_000);
      const back = await waitForJob(job, (s) => s.status === 'scheduled', 'scheduled again');
      assert.equal(back.halted, undefined);
      await schedule.trigger();
      await waitForJob(job, (s) => s.runCounter === 3 && !s.currentRun, 'the tick ran');
      const tick = t.mocks.of('recordRunStart', jobId)[2]!;
      assert.deepEqual([tick.runNumber, tick.trigger, tick.attempt], [3, 'schedule', 1]);
      assert.ok(tick.scheduledAt && !Number.isNaN(Date.parse(tick.scheduledAt)), 'the tick says when it was meant to run');
    } finally {
      await deleteJobSchedule(t.client, t.domain, jobId);
    }
  });
});
