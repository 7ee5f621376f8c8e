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
