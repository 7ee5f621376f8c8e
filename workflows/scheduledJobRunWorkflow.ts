import {
  ActivityCancellationType,
  CancellationScope,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { jobWorkflowId } from '../contracts/workflowIds';
import { runEndedSignal, runNowSignal } from '../contracts/messages';
import { RunStatusKey, ScheduledStartTimeKey } from '../contracts/searchAttributes';
import { lateTick } from '../domain/missedSchedule';
import { NON_RETRYABLE_TYPES } from '../domain/failures';
import { runFailure, type RunResult } from './runWorkflow';

type Activities = ReturnType<typeof createActivities>;

/** Outcomes the job workflow decides on: a rerun, a halt, the alert, the end email of a canceled run. */
const NEEDS_THE_JOB: ReadonlySet<string> = new Set(['failed', 'halted', 'canceled']);

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE_TYPES };

// The whole run in one activity, as a run the job starts (runPhases), with the slot taken first.
const { runOnSchedule } = proxyActivities<Activities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '30 seconds',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

const { recordScheduledRunEnd, recordMissedSchedule } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES, 'JobMissing'] },
});

/**
 * What a job's Temporal Schedule starts: the run itself, when the job lets it. Its one activity
 * takes the job's run slot (io/runSlot.ts) and runs. When another run holds the slot, or the job
 * must decide (paused, halted, a rerun due, a recovery to announce), nothing runs here: the
 * scheduled time goes to the job workflow, which queues it once or refuses it as it did every
 * tick before. A run that did not go well tells the job, which decides what follows (a rerun, a
 * halt, the alert); one that did needs nothing of it (the API reads last runs from the records).
 *
 * Against a tick that asks the job, which then starts a child: one workflow and one activity a
 * run instead of three workflows (bench:runcost has the figures).
 */
export async function scheduledJobRunWorkflow(input: { domain: string; jobId: string; catchupWindowMs: number }): Promise<RunResult | undefined> {
  const { workflowId, typedSearchAttributes, startTime } = workflowInfo();
  const scheduledAt = (typedSearchAttributes.get(ScheduledStartTimeKey) ?? startTime).toISOString();
  const late = lateTick(scheduledAt, Date.now(), input.catchupWindowMs);
  if (late) {
    log.warn('Scheduled time missed: the run reached a worker past the catch-up window', { scheduledAt });
    await recordMissedSchedule({ domain: input.domain, jobId: input.jobId, ...late }).catch((err) => log.warn('Missed time not recorded', { error: String(err) }));
    return undefined;
  }
  const job = getExternalWorkflowHandle(jobWorkflowId(input.domain, input.jobId));

  let failure: ReturnType<typeof runFailure> | undefined;
  const ran = await runOnSchedule({ domain: input.domain, jobId: input.jobId, scheduledAt, workflowId }).catch((err: unknown) => {
    failure = runFailure(err);
    return undefined;
  });
  if (ran && !ran.ran) {
    await job.signal(runNowSignal, { trigger: 'schedule', requestedBy: 'schedule', scheduledAt });
    return undefined;
  }
  // Whatever happened, the run's record and its outcome are written, even when canceled.
  const run = ran ?? await CancellationScope.nonCancellable(() =>
    recordScheduledRunEnd({ domain: input.domain, jobId: input.jobId, workflowId, outcome: failure!.outcome, reason: failure!.reason }));
  if (!run) {
    log.error('Scheduled run did not start', { reason: failure?.reason });
    return undefined;
  }
  const result: RunResult = { outcome: run.end.outcome, reason: run.end.reason, counters: run.end.counters };
  upsertSearchAttributes([{ key: RunStatusKey, value: result.outcome }]);
  // A run that went well needs nothing of the job: it runs only when the job owes no rerun and
  // no recovery notice, and its activity sent the end email. Anything else is the job's to
  // decide, and a job waiting for the slot (a person's run-now) hears that it is free.
  if (ran && !ran.jobWaits && !NEEDS_THE_JOB.has(result.outcome)) return result;
  await CancellationScope.nonCancellable(() => job.signal(runEndedSignal, {
    number: run.number, workflowId, trigger: 'schedule', attempt: 1, outcome: result.outcome, reason: result.reason,
    counters: result.counters, startedAt: run.startedAt, endedAt: new Date().toISOString(),
  })).catch((err) => log.warn('The job workflow did not hear the run end (deleted?)', { error: String(err) }));
  return result;
}
