import type { Job } from '../../db/entities';
import type { JobView } from '../../contracts/messages';
import { EXPORT_PHASES, IMPORT_PHASES } from '../../domain/runStatus';
import type { Scheduling, Timing } from '../../domain/schedule';
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

export function describeTiming(t: Timing): string {
  const tz = t.timezone ? ` (${t.timezone})` : '';
  switch (t.kind) {
    case 'calendar':
      return `${t.days.map((d) => d.slice(0, 3).toLowerCase()).join(', ')} at ${t.times.join(', ')}${tz}`;
    case 'interval': {
      const every = t as { everyMinutes?: number; everySeconds?: number };
      return `every ${every.everyMinutes !== undefined ? `${every.everyMinutes} min` : `${every.everySeconds} s`}${tz}`;
    }
    case 'cron':
      return `cron "${t.expression}"${tz}`;
  }
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
