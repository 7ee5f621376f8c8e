/**
 * Names the API, the worker, the workflows and operators share: workflow and schedule ids
 * (readable in Temporal Web), and how a workflow names one run to its activities.
 */

/** Workflow ids that operators can read: job-<domain>-<jobId>, run-<domain>-<jobId>-<n>. */
export const jobWorkflowId = (domain: string, jobId: string) => `job-${domain}-${jobId}`;
export const runWorkflowId = (domain: string, jobId: string, runNumber: number) => `run-${domain}-${jobId}-${runNumber}`;
export const JOB_SCHEDULE_PREFIX = 'schedule-';
export const jobScheduleId = (domain: string, jobId: string) => `${JOB_SCHEDULE_PREFIX}${domain}-${jobId}`;

/** The system schedule that starts retentionWorkflow (README, Retention). */
export const RETENTION_SCHEDULE_ID = 'system-retention';

/** The system schedule that starts missedSchedulesWorkflow (README, Missed schedules). */
export const MISSED_SCHEDULES_SCHEDULE_ID = 'system-missed-schedules';

/** Identifies one run of one job, as workflows pass it to activities. */
export interface RunRef {
  domain: string;
  jobId: string;
  runNumber: number;
}
