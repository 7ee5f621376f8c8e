import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { runWorkflowId } from '../../contracts/workflowIds';
import type { RunResult } from '../../workflows/runWorkflow';
import { deleteSignal, runNowSignal } from '../../contracts/messages';
import { recordHistory } from '../replay/histories';
import { eventually } from '../setup/system';
import { act, GOOD_COUNTERS, Hold, runNow, startJob, startWorkflowTestEnv, waitForJob, within, type WorkflowTestEnv } from './helpers';

/**
 * The job workflow's glue with mocked activities (test/workflows/helpers.ts): run requests,
 * a delete, a pause and a cancel during a run, a run workflow terminated by an operator, and
 * continue-as-new with an email pending.
 */
describe('workflows: the job workflow', function () {
  // Each test takes a second or two: one that hangs has found a bug, not a slow machine.
  this.timeout(30_000);
  let t: WorkflowTestEnv;
  before(async () => {
    t = await startWorkflowTestEnv();
  });
  afterEach(async () => t.reset());
  after(async () => t?.stop());

  const runsStarted = (jobId: string) => t.mocks.of('recordRunStart', jobId).map((r) => [r.runNumber, r.trigger, r.attempt]);

  it('a run-now during a run is queued once: the second answers already_queued, and exactly one more run follows', async () => {
    const hold = new Hold();
    t.mocks.set({ validateImport: hold.phase() });
    const job = await startJob(t, 'queue-once');

    assert.deepEqual(await runNow(job), { result: 'started' });
    await within(hold.reached, 'run 1 validating');
    assert.deepEqual(await runNow(job), { result: 'queued' });
    assert.deepEqual(await runNow(job), { result: 'already_queued' });
    const during = await waitForJob(job, (v) => !!v.queued, 'the request queued');
    assert.equal(during.status, 'running');
    assert.equal(during.currentRun?.number, 1);

    hold.release();
    const after = await waitForJob(job, (v) => v.runCounter >= 2 && !v.currentRun && !v.queued, 'the queued run ended');
    assert.deepEqual(after.lastRuns.map((r) => [r.number, r.trigger, r.outcome]), [[2, 'manual', 'completed'], [1, 'manual', 'completed']]);
    assert.deepEqual(runsStarted('queue-once'), [[1, 'manual', 1], [2, 'manual', 1]]);
    assert.equal(after.status, 'unscheduled');
  });

  it('scheduled ticks that get no run of their own are recorded missed: merged into the queued tick, or dropped by a pause', async () => {
    const hold = new Hold();
    t.mocks.set({ validateImport: hold.phase() });
    const job = await startJob(t, 'ticks');
    const tick = (at: string) => job.signal(runNowSignal, { trigger: 'schedule', requestedBy: 'schedule', scheduledAt: at });
    await tick('2026-12-07T06:00:00.000Z');
    await within(hold.reached, 'run 1 validating');
    await tick('2026-12-07T06:01:00.000Z'); // queued: it will get its run
    await tick('2026-12-07T06:02:00.000Z'); // merged into the 06:01 run
    await waitForJob(job, (v) => v.queued?.scheduledAt === '2026-12-07T06:01:00.000Z', 'the 06:01 tick queued');
    const merged = await eventually(async () => t.mocks.of('recordMissedSchedule', 'ticks')[0], 'the merged tick recorded');
    assert.deepEqual([merged.scheduledAt, merged.reason, merged.mergedInto], ['2026-12-07T06:02:00.000Z', 'merged', '2026-12-07T06:01:00.000Z']);
    assert.match(merged.detail, /already queued behind the current one \(the one scheduled for 2026-12-07T06:01:00.000Z\)/);

    // A person's pause drops the queued 06:01 tick: it never gets its run either.
    assert.deepEqual(await act(job, { action: 'pause', by: 'ada', note: 'maintenance' }), { result: 'paused' });
    const dropped = await eventually(async () => t.mocks.of('recordMissedSchedule', 'ticks')[1], 'the dropped tick recorded');
    assert.deepEqual([dropped.scheduledAt, dropped.reason], ['2026-12-07T06:01:00.000Z', 'paused']);
    hold.release();
    await waitForJob(job, (v) => v.lastRuns.length === 1 && !v.currentRun, 'run 1 ended');
    assert.deepEqual(runsStarted('ticks'), [[1, 'schedule', 1]]);
    assert.equal(t.mocks.of('recordMissedSchedule', 'ticks').length, 2);
    await recordHistory(t.client, job.workflowId, 'job-schedule-ticks-missed');
  });

  it('a delete during a run cancels the run, which records that it was canceled; the queued request never runs and the job workflow ends', async () => {
    const hold = new Hold();
    t.mocks.set({ validateImport: hold.phase() });
    const job = await startJob(t, 'deleted');
    await runNow(job);
    await within(hold.reached, 'run 1 validating');
    assert.deepEqual(await runNow(job), { result: 'queued' });

    await job.signal(deleteSignal, { by: 'ada' });
    await within(job.result(), 'the job workflow to end');
    assert.equal(hold.cancelled, true, 'the running phase heard the cancel');
    const run: RunResult = await t.client.workflow.getHandle(runWorkflowId(t.domain, 'deleted', 1)).result();
    assert.equal(run.outcome, 'canceled');
    assert.deepEqual(t.mocks.of('recordRunEnd', 'deleted').map((r) => [r.runNumber, r.outcome, r.reason]), [[1, 'canceled', 'Canceled by a person.']]);
    assert.deepEqual(t.mocks.of('processImport', 'deleted'), [], 'no phase after the canceled one');
    assert.deepEqual(runsStarted('deleted'), [[1, 'manual', 1]], 'the queued request did not run');
    assert.equal((await job.describe()).status.name, 'COMPLETED');
  });

  it("a person's cancel stops the run, recorded canceled and not retried; the job carries on", async () => {
    const hold = new Hold();
    t.mocks.set({ validateImport: hold.phase() });
    const job = await startJob(t, 'canceled');
    await runNow(job);
    await within(hold.reached, 'run 1 validating');

    const { currentRun } = await waitForJob(job, (v) => !!v.currentRun, 'run 1 running');
    await t.client.workflow.getHandle(currentRun!.workflowId).cancel(); // what POST .../cancel does
    const v = await waitForJob(job, (s) => s.lastRuns.length === 1, 'run 1 ended');
    assert.equal(hold.cancelled, true);
    assert.deepEqual([v.lastRuns[0]?.outcome, v.lastRuns[0]?.reason], ['canceled', 'Canceled by a person.']);
    assert.equal(v.retry, undefined, 'a canceled run is not retried');
    assert.equal(v.status, 'unscheduled');
    hold.release();
    assert.deepEqual(await runNow(job), { result: 'started' });
    const next = await waitForJob(job, (s) => s.lastRuns.length === 2, 'run 2 ended');
    assert.equal(next.lastRuns[0]?.outcome, 'completed');
  });

  const ABNORMAL = 'The run ended abnormally; see its workflow in Temporal Web.';

  it("a run workflow that ends abnormally (terminated by an operator) has its record closed as failed, and is retried; the job goes on", async () => {
    const hold = new Hold();
    t.mocks.set({ validateImport: hold.phase() });
    const job = await startJob(t, 'terminated');
    await runNow(job);
    await within(hold.reached, 'run 1 validating');

    const { currentRun } = await waitForJob(job, (v) => !!v.currentRun, 'run 1 running');
    await t.client.workflow.getHandle(currentRun!.workflowId).terminate('stuck, says the operator');
    const v = await waitForJob(job, (s) => s.lastRuns.length === 1 && !s.currentRun, 'run 1 recorded');
    assert.deepEqual([v.lastRuns[0]?.number, v.lastRuns[0]?.outcome, v.lastRuns[0]?.reason], [1, 'failed', ABNORMAL]);
    assert.equal(v.lastRuns[0]?.startedAt, currentRun!.startedAt);
    // The run record (what GET .../runs shows, and the run's staging table) is closed too, not left in its phase.
    assert.deepEqual(t.mocks.of('recordRunEnd', 'terminated').map((r) => [r.runNumber, r.outcome, r.reason]), [[1, 'failed', ABNORMAL]]);
    assert.equal(v.retry?.kind, 'failed', 'retried like any failed run');
    assert.equal((await job.describe()).status.name, 'RUNNING');
    hold.release();
    await recordHistory(t.client, job.workflowId, 'job-run-terminated');
  });

  it('a run terminated after its load committed takes the outcome its record gives (completed), and is not retried', async () => {
    const hold = new Hold();
    t.mocks.set({
      loadImport: hold.phase(),
      // As the real recordRunEnd answers for a run whose load committed: the database has the last word.
      recordRunEnd: async () => ({ outcome: 'completed', counters: GOOD_COUNTERS, reported: {} }),
    });
    const job = await startJob(t, 'committed');
    await runNow(job);
    await within(hold.reached, 'run 1 loading');

    const { currentRun } = await waitForJob(job, (v) => !!v.currentRun, 'run 1 running');
    await t.client.workflow.getHandle(currentRun!.workflowId).terminate('stuck, says the operator');
    const v = await waitForJob(job, (s) => s.lastRuns.length === 1 && !s.currentRun, 'run 1 recorded');
    assert.deepEqual([v.lastRuns[0]?.outcome, v.lastRuns[0]?.reason, v.lastRuns[0]?.counters], ['completed', undefined, GOOD_COUNTERS]);
    assert.equal(v.retry, undefined);
    hold.release();
  });

  it('a terminated run whose record cannot be closed is still recorded as failed by the job', async () => {
    const hold = new Hold();
    t.mocks.set({
      validateImport: hold.phase(),
      recordRunEnd: async () => {
        throw ApplicationFailure.nonRetryable('Job wf/x does not exist (deleted?).', 'JobMissing');
      },
    });
    const job = await startJob(t, 'record-gone');
    await runNow(job);
    await within(hold.reached, 'run 1 validating');
    const { currentRun } = await waitForJob(job, (v) => !!v.currentRun, 'run 1 running');
    await t.client.workflow.getHandle(currentRun!.workflowId).terminate('stuck, says the operator');
    const v = await waitForJob(job, (s) => s.lastRuns.length === 1 && !s.currentRun, 'run 1 recorded');
    assert.deepEqual([v.lastRuns[0]?.outcome, v.lastRuns[0]?.reason], ['failed', ABNORMAL]);
    assert.equal(t.mocks.of('recordRunEnd', 'record-gone').length, 1, 'JobMissing is not retried');
    hold.release();
  });

  it('a delete while the job closes the record of a terminated run still ends the job, with the record closed', async () => {
    const hold = new Hold();
    const closing = new Hold();
    t.mocks.set({
      validateImport: hold.phase(),
      recordRunEnd: async ({ outcome, reason }) => {
        await closing.wait();
        return { outcome, reason, counters: GOOD_COUNTERS, reported: {} };
      },
    });
    const job = await startJob(t, 'terminated-deleted');
    await runNow(job);
    await within(hold.reached, 'run 1 validating');
    const { currentRun } = await waitForJob(job, (v) => !!v.currentRun, 'run 1 running');
    await t.client.workflow.getHandle(currentRun!.workflowId).terminate('stuck, says the operator');
    await within(closing.reached, 'the record being closed');

    await job.signal(deleteSignal, { by: 'ada' });
    await waitForJob(job, (v) => v.deleted, 'the delete heard');
    closing.release();
    await within(job.result(), 'the job workflow to end');
    assert.deepEqual(t.mocks.of('recordRunEnd', 'terminated-deleted').map((r) => [r.runNumber, r.outcome]), [[1, 'failed']]);
    hold.release();
  });

  it('a pause during a run drops the queued request and keeps later requests out until reactivated', async () => {
    const hold = new Hold();
    t.mocks.set({ validateImport: hold.phase() });
    const job = await startJob(t, 'paused');
    await runNow(job);
    await within(hold.reached, 'run 1 validating');
    assert.deepEqual(await runNow(job), { result: 'queued' });
    await act(job, { action: 'pause', by: 'ada', note: 'term change' });
    hold.release();

    const paused = await waitForJob(job, (v) => v.lastRuns.length === 1 && !v.currentRun, 'the running run ended');
    assert.equal(paused.status, 'paused');
    assert.equal(paused.queued, undefined);
    assert.deepEqual(paused.paused && [paused.paused.by, paused.paused.note], ['ada', 'term change']);
    assert.deepEqual(await runNow(job), { result: 'refused', reason: 'The job is paused; reactivate it first.' });

    await act(job, { action: 'reactivate', by: 'ada' });
    await waitForJob(job, (v) => v.status === 'unscheduled', 'reactivated');
    assert.deepEqual(await runNow(job), { result: 'started' });
    await waitForJob(job, (v) => v.runCounter === 2 && !v.currentRun, 'the second run ended');
    assert.deepEqual(runsStarted('paused'), [[1, 'manual', 1], [2, 'manual', 1]]);
  });

  it('continue-as-new waits for a report email still being sent, sends each email once, and carries the state over', async () => {
    const hold = new Hold();
    t.mocks.set({
      notifyRun: async ({ notice }) => {
        if (notice === 'ended') await hold.wait();
        return { sent: true, to: ['ops@example.test'] };
      },
    });
    // A history limit the first run passes: the workflow wants to continue-as-new as soon as the run ends.
    const job = await startJob(t, 'continued', { historyLimit: 15, settings: { sendReport: true } });
    const first = t.client.workflow.getHandle(job.workflowId, job.firstExecutionRunId);
    await runNow(job);
    await within(hold.reached, 'the "ended" email being sent'); // the run has ended

    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await first.describe()).status.name, 'RUNNING', 'no continue-as-new while an email is pending');
    assert.ok((await first.fetchHistory()).events!.length >= 15, 'past the history limit');

    hold.release();
    await eventually(async () => ((await first.describe()).status.name === 'CONTINUED_AS_NEW' ? true : undefined), 'the first execution continued as new', 15_000);
    // Both emails (started, ended) completed in the first execution: none was left behind.
    const events = (await first.fetchHistory()).events!;
    const emails = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyRun').map((e) => String(e.eventId));
    assert.equal(emails.length, 2);
    const completed = events.map((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId));
    assert.deepEqual(emails.filter((id) => completed.includes(id)), emails);

    const next = t.client.workflow.getHandle(job.workflowId);
    const carried = await waitForJob(next, () => true, 'the continued job');
    assert.notEqual((await next.describe()).runId, job.firstExecutionRunId);
    assert.equal(carried.runCounter, 1);
    assert.deepEqual(carried.lastRuns.map((r) => [r.number, r.outcome]), [[1, 'completed']]);
    // The next run is number 2 (not a second run 1), and no email goes twice.
    await runNow(next);
    await eventually(async () => (t.mocks.of('notifyRun', 'continued').length >= 4 ? true : undefined), "run 2's emails", 15_000);
    assert.deepEqual(t.mocks.of('notifyRun', 'continued').map((n) => [n.runNumber, n.notice]), [[1, 'started'], [1, 'ended'], [2, 'started'], [2, 'ended']]);
  });
});
