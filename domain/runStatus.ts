import type { Direction } from './jobDefinition';

/** Phases of a run, in order, per direction (seed 001's words). */
export const IMPORT_PHASES = ['validating', 'processing', 'importing'] as const;
export const EXPORT_PHASES = ['extracting', 'delivering'] as const;
export type RunPhase = (typeof IMPORT_PHASES)[number] | (typeof EXPORT_PHASES)[number];

export const RUN_OUTCOMES = [
  'completed',
  'completed_with_warnings',
  'partially_completed',
  'failed',
  'halted',
  'canceled',
] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** Every value a run's status takes: `queued` before it starts, a phase, then an outcome. */
export type RunStatus = 'queued' | RunPhase | RunOutcome;

export interface RunCounters {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  skipped: number;
  warnings: number;
  rejected: number;
}

/** Only the counters of a record that has them among other fields (a run row). */
export const pickCounters = (c: RunCounters): RunCounters => ({
  read: c.read, inserted: c.inserted, updated: c.updated, unchanged: c.unchanged,
  deleted: c.deleted, skipped: c.skipped, warnings: c.warnings, rejected: c.rejected,
});

export const emptyCounters = (): RunCounters => ({
  read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0, warnings: 0, rejected: 0,
});

/**
 * A run's counters under the names people read (API, emails, run logs, metrics). An export
 * inserts nothing: it extracts rows (or a realtime job's changes) and delivers them, kept in
 * the run record's `read` and `inserted` columns.
 */
export function reportedCounters(direction: Direction, c: RunCounters): Record<string, number> {
  return direction === 'export' ? { extracted: c.read, delivered: c.inserted } : { ...pickCounters(c) };
}

/** The counters as a phrase for a log line or an email: "extracted 4, delivered 4". */
export const countersPhrase = (direction: Direction, c: RunCounters): string =>
  Object.entries(reportedCounters(direction, c)).map(([name, n]) => `${name} ${n}`).join(', ');

/** The outcome of a run that got through all its phases, from its counters. */
export function outcomeOf(c: RunCounters): Extract<RunOutcome, 'completed' | 'completed_with_warnings' | 'partially_completed'> {
  if (c.rejected > 0) return 'partially_completed';
  if (c.warnings > 0) return 'completed_with_warnings';
  return 'completed';
}

/** Rejected rows as a share of rows read, in percent with one decimal. */
export function failedPercent(c: Pick<RunCounters, 'read' | 'rejected'>): number {
  return c.read === 0 ? 0 : Math.round((c.rejected / c.read) * 1000) / 10;
}
