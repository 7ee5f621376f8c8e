/** Words of the product (PRODUCT.md) shared by the API, the worker and the workflows. */

export const JOB_MODES = ['batch', 'realtime', 'on-demand'] as const;
export type JobMode = (typeof JOB_MODES)[number];

export const DIRECTIONS = ['import', 'export'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Where a job is in its setup, before it can run (seed 001). */
export const SETUP_STATUSES = ['draft', 'sampling', 'sampling_failed', 'ready'] as const;
export type SetupStatus = (typeof SETUP_STATUSES)[number];

export const RUN_TRIGGERS = ['schedule', 'manual', 'retry', 'event'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** Refusals a person can act on, for run-now requests. `undefined` means allowed. */
export function manualRunRefusal(mode: JobMode): string | undefined {
  if (mode === 'realtime') return 'A realtime job runs only on its schedule; it cannot be run manually.';
  if (mode === 'on-demand') return 'An on-demand job runs when an event arrives; send it an event instead.';
  return undefined;
}

/** Workflow ids that operators can read: job-<domain>-<jobId>, run-<domain>-<jobId>-<n>. */
export const jobWorkflowId = (domain: string, jobId: string) => `job-${domain}-${jobId}`;
export const runWorkflowId = (domain: string, jobId: string, runNumber: number) => `run-${domain}-${jobId}-${runNumber}`;
export const JOB_SCHEDULE_PREFIX = 'schedule-';
export const jobScheduleId = (domain: string, jobId: string) => `${JOB_SCHEDULE_PREFIX}${domain}-${jobId}`;
