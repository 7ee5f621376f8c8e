import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Job } from '../../db/entities';
import { statusQuery, type JobView } from '../../contracts/messages';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { logger } from '../../infra/logger';

/**
 * The job's live state, from its workflow; undefined if the workflow is gone or does not
 * answer (no worker running): the job then shows as `unknown` rather than failing the request.
 */
export async function liveJobState(temporal: Client, job: Pick<Job, 'domain' | 'identifier'>): Promise<JobView | undefined> {
  try {
    return await temporal.workflow.getHandle(jobWorkflowId(job.domain, job.identifier)).query(statusQuery);
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) logger.warn({ domain: job.domain, jobId: job.identifier, error: (e as Error).message }, 'job workflow did not answer its status query');
    return undefined;
  }
}
