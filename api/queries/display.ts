import type { Job } from '../../db/entities';
import type { JobView } from '../../contracts/messages';
import { EXPORT_PHASES, IMPORT_PHASES } from '../../domain/runStatus';
import { describeTiming, type Scheduling } from '../../domain/schedule';
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

function describeScheduling(s: Scheduling, mode: string): string {
  if (mode === 'on-demand') return 'on events';
  if (s.type === 'automatic') return 'automatic schedule';
  if (s.type === 'disabled') return 'run by hand only';
  return describeTiming(s.timing);
}

/** One line a person reads in the list: direction, task type, where from or to, and when. */
export function configSummary(job: Pick<Job, 'direction' | 'taskType' | 'sourceUrl' | 'destinationUrl' | 'scheduling' | 'mode'>): string {
  const where = job.direction === 'import' ? `from ${redactUrl(job.sourceUrl) ?? '?'}` : `to ${redactUrl(job.destinationUrl) ?? '?'}`;
  return `${job.direction} ${job.taskType} ${where}; ${describeScheduling(job.scheduling, job.mode)}`;
}
