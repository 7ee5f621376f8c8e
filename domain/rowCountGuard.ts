/**
 * The row-count anomaly guard (README, Row-count guard): a run that reads far fewer rows than
 * the job usually does is flagged, or halted before it loads anything, instead of being
 * accepted silently. A job turns it on in its rules; it is off by default.
 */
export interface RowCountGuard {
  /** A run reading fewer rows than this percentage of the usual count is unusual. */
  belowPercent: number;
  /** How many of the job's last completed runs make "usual" (their median). */
  lastRuns: number;
  /** `warn`: the run completes with the `unusual_row_count` warning; `halt`: it halts before loading. */
  action: 'warn' | 'halt';
}

/** Fewer completed runs than this, and there is no "usual" yet: the guard stays quiet. */
export const MIN_HISTORY = 3;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Why `read` is unusual against the rows read by the job's last completed runs (newest first),
 * or undefined when it is not (or there is too little history to say).
 */
export function unusualRowCount(read: number, history: readonly number[], guard: Pick<RowCountGuard, 'belowPercent' | 'lastRuns'>): string | undefined {
  const usual = history.slice(0, guard.lastRuns);
  if (usual.length < MIN_HISTORY) return undefined;
  const m = median(usual);
  if (m === 0) return undefined;
  if (read === 0) return `The run read no rows, where the job's last ${usual.length} completed runs read ${m} (median).`;
  if (read * 100 < m * guard.belowPercent) {
    return `The run read ${read} rows, under ${guard.belowPercent}% of the ${m} (median) the job's last ${usual.length} completed runs read.`;
  }
  return undefined;
}
