/** How long run history is kept (README, Retention); the retention workflow applies it. */
export interface RetentionPolicy {
  runDays: number;
  logDays: number;
  rejectedDays: number;
  /** Each job's last this many runs are kept whole, however old. */
  keepRuns: number;
  /** Rows per delete statement (runs go ten times fewer at a time: each takes its remaining rows by cascade). */
  batchRows: number;
}

/** What retention deletes, in this order: a run's rows before the run, so no delete cascades into millions. */
export const RETENTION_KINDS = ['rejected_rows', 'run_logs', 'runs', 'outbox'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** Rows one delete statement of `kind` takes at most. */
export const batchSizeOf = (kind: RetentionKind, policy: RetentionPolicy): number =>
  kind === 'runs' ? Math.max(1, Math.floor(policy.batchRows / 10)) : policy.batchRows;
