import type { Job } from '../../db/entities';
import type { JobView } from '../../contracts/messages';
import { EXPORT_PHASES, IMPORT_PHASES } from '../../domain/runStatus';
import { describeTiming, type Scheduling, type Timing } from '../../domain/schedule';
import { redactUrl } from '../../domain/urlCredentials';

/** What the API shows people in words: a job's phase, its timing, its one-line summary. */

const RUN_PHASES: ReadonlySet<string> = new Set([...IMPORT_PHASES, ...EXPORT_PHASES]);

/**
 * The phase of the run in progress: the run record has it (each phase's activity writes it
 * there); job workflows of runs started before LEAN_RUN_PATCH were also told it by signal.
 */
export function currentPhase(status: string, recorded: string | null | undefined, live: JobView | undefined): string | null {
  if (status !== 'running') return null;
  if (recorded && RUN_PHASES.has(recorded)) return recorded;
  return live?.currentRun?.phase ?? null;
}

/** A scheduling in words; with the automatic timing given, that timing is said too. */
export function describeScheduling(s: Scheduling, mode: string, automatic?: Timing): string {
  if (mode === 'on-demand') return 'on events';
  if (s.type === 'automatic') return automatic ? `automatic schedule: ${describeTiming(automatic)}` : 'automatic schedule';
  if (s.type === 'disabled') return 'run by hand only';
  return describeTiming(s.timing);
}

/** One line a person reads in the list: direction, task type, where from or to, and when. */
export function configSummary(job: Pick<Job, 'direction' | 'taskType' | 'sourceUrl' | 'destinationUrl' | 'scheduling' | 'mode'>): string {
  const where = job.direction === 'import' ? `from ${redactUrl(job.sourceUrl) ?? '?'}` : `to ${redactUrl(job.destinationUrl) ?? '?'}`;
  return `${job.direction} ${job.taskType} ${where}; ${describeScheduling(job.scheduling, job.mode)}`;
}

/**
 * The icon a job shows in the list (seed 003), the one its status filter toggles: its run in
 * progress, else a halt, else its last ended run's outcome, else none (never run). The console
 * draws the same rule (console/icons.js statusKind); the list filters by it on the server, so
 * a filter covers every page, not only the rows loaded.
 */
export const JOB_ICONS = ['running', 'completed', 'warnings', 'failed', 'canceled', 'none'] as const;
export type JobIcon = (typeof JOB_ICONS)[number];

export function jobIcon(status: string, lastOutcome: string | null | undefined): JobIcon {
  if (status === 'running') return 'running';
  if (status === 'halted') return 'failed';
  switch (lastOutcome) {
    case null: case undefined: return 'none';
    case 'completed': return 'completed';
    case 'completed_with_warnings': case 'partially_completed': return 'warnings';
    case 'failed': case 'halted': return 'failed';
    case 'canceled': return 'canceled';
    default: return 'running';
  }
}
