import { getExternalWorkflowHandle, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { jobWorkflowId } from '../contracts/workflowIds';
import { runNowSignal } from '../contracts/messages';
import { ScheduledStartTimeKey } from '../contracts/searchAttributes';
import { lateTick } from '../domain/missedSchedule';

/**
 * Workflows recorded before the missed-schedule ledger asked for a run however late they
 * reached a worker, and a job workflow did not record the ticks it merged or refused.
 */
export const MISSED_SCHEDULE_LEDGER_PATCH = 'missed-schedule-ledger';

// A ledger entry: retried a while (the database may be restarting), then given up on with a warning.
const { recordMissedSchedule } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: ['JobMissing'] },
});

/**
 * What a job's Temporal Schedule starts: it only asks the job workflow for a run. The job
 * workflow decides whether and when it happens, so a schedule can never overlap runs or
 * run a paused job. A tick that reaches a worker later than the catch-up window (no worker
 * ran meanwhile) asks for nothing: its time is recorded missed, as Temporal skips a time it
 * could not start within the window.
 */
export async function scheduledRunWorkflow(input: { domain: string; jobId: string; catchupWindowMs?: number }): Promise<void> {
  const scheduledAt = (workflowInfo().typedSearchAttributes.get(ScheduledStartTimeKey) ?? workflowInfo().startTime).toISOString();
  if (input.catchupWindowMs !== undefined && patched(MISSED_SCHEDULE_LEDGER_PATCH)) {
    const late = lateTick(scheduledAt, Date.now(), input.catchupWindowMs);
    if (late) {
      log.warn('Scheduled time missed: the tick reached a worker past the catch-up window', { scheduledAt });
      await recordMissedSchedule({ domain: input.domain, jobId: input.jobId, ...late }).catch((err) => log.warn('Missed time not recorded', { error: String(err) }));
      return;
    }
  }
  await getExternalWorkflowHandle(jobWorkflowId(input.domain, input.jobId)).signal(runNowSignal, {
    trigger: 'schedule',
    requestedBy: 'schedule',
    scheduledAt,
  });
}
