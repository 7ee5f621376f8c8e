import { getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { jobWorkflowId } from '../contracts/workflowIds';
import { runNowSignal } from '../contracts/messages';
import { ScheduledStartTimeKey } from '../contracts/searchAttributes';

/**
 * What a job's Temporal Schedule starts: it only asks the job workflow for a run. The job
 * workflow decides whether and when it happens, so a schedule can never overlap runs or
 * run a paused job.
 */
export async function scheduledRunWorkflow(input: { domain: string; jobId: string }): Promise<void> {
  const scheduledAt = workflowInfo().typedSearchAttributes.get(ScheduledStartTimeKey);
  await getExternalWorkflowHandle(jobWorkflowId(input.domain, input.jobId)).signal(runNowSignal, {
    trigger: 'schedule',
    requestedBy: 'schedule',
    scheduledAt: (scheduledAt ?? workflowInfo().startTime).toISOString(),
  });
}
