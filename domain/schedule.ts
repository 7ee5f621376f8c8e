import { cronProblems, cronRunsPerDay, timeZoneProblem } from './cron';
import type { Direction, JobMode } from './jobDefinition';

/**
 * Scheduling types (seed 003): automatic (the task type's default), scheduled (the
 * administrator's days and times, a cron expression or an interval), disabled (runs only
 * when started by hand). Pure rules; turning them into Temporal Schedules is elsewhere.
 */

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Concrete timing: what Temporal Schedules can express. */
export type Timing =
  | { kind: 'calendar'; days: Weekday[]; times: string[]; timezone?: string }
  /** Exactly one of everyMinutes and everySeconds (seconds let tests schedule every few seconds). */
  | { kind: 'interval'; everyMinutes?: number; everySeconds?: number; timezone?: string }
  | { kind: 'cron'; expression: string; timezone?: string };

export type Scheduling = { type: 'automatic' } | { type: 'disabled' } | { type: 'scheduled'; timing: Timing };

/** A batch import runs once a day, four times at most (seed 000). */
export const MAX_BATCH_IMPORT_RUNS_PER_DAY = 4;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** An interval timing's period in seconds. */
export function intervalSeconds(t: Extract<Timing, { kind: 'interval' }>): number {
  return t.everySeconds ?? (t.everyMinutes ?? 0) * 60;
}

/** The most runs the timing can start on one day. */
export function runsPerDay(t: Timing): number {
  switch (t.kind) {
    case 'calendar':
      return t.days.length === 0 ? 0 : new Set(t.times).size;
    case 'interval':
      return Math.ceil((24 * 60 * 60) / intervalSeconds(t));
    case 'cron':
      return cronRunsPerDay(t.expression);
  }
}

/**
 * Problems with a timing as written, each a sentence that starts with the field it is about
 * (scheduling.timing.<field>); empty when it is valid.
 */
export function timingProblems(t: Timing): string[] {
  const problems: string[] = [];
  if (t.timezone !== undefined) {
    const tz = timeZoneProblem(t.timezone);
    if (tz) problems.push(`scheduling.timing.timezone: ${tz}`);
  }
  if (t.kind === 'calendar') {
    if (t.days.length === 0) problems.push('scheduling.timing.days: choose at least one day of the week');
    if (t.times.length === 0) problems.push('scheduling.timing.times: choose at least one time of day');
    for (const time of t.times) if (!TIME.test(time)) problems.push(`scheduling.timing.times: "${time}" is not a time of day as HH:MM (24-hour)`);
  } else if (t.kind === 'interval') {
    const given = [t.everyMinutes, t.everySeconds].filter((v) => v !== undefined);
    if (given.length !== 1) problems.push('scheduling.timing: give the interval as everyMinutes or everySeconds (one of them)');
    else if (!Number.isInteger(given[0]) || given[0]! < 1) problems.push('scheduling.timing: the interval is a whole number of minutes or seconds, 1 or more');
  } else {
    for (const p of cronProblems(t.expression)) problems.push(`scheduling.timing.expression: cron "${t.expression}": ${p.field === 'expression' ? '' : `${p.field} `}${p.message}`);
  }
  return problems;
}

/** The timing a job's scheduling stands for, or undefined when it has none. */
export function effectiveTiming(s: Scheduling, taskTypeDefault: Timing): Timing | undefined {
  if (s.type === 'disabled') return undefined;
  return s.type === 'automatic' ? taskTypeDefault : s.timing;
}

/**
 * Why a job's scheduling is refused for its mode and direction, or undefined when it is
 * allowed. Each reason is a sentence an administrator can act on.
 */
export function schedulingRefusal(
  mode: JobMode,
  direction: Direction,
  scheduling: Scheduling,
  taskTypeDefault: Timing,
): string | undefined {
  if (mode === 'on-demand') {
    return scheduling.type === 'disabled' ? undefined : 'An on-demand job has no schedule: it runs when an event arrives (use scheduling type "disabled").';
  }
  const timing = effectiveTiming(scheduling, taskTypeDefault);
  if (!timing) return mode === 'realtime' ? 'A realtime job must have a schedule (scheduling type "automatic" or "scheduled").' : undefined;
  const problems = timingProblems(timing);
  if (problems.length) return `The schedule is not valid: ${problems.join('; ')}.`;
  if (mode === 'batch' && direction === 'import') {
    const perDay = runsPerDay(timing);
    if (perDay > MAX_BATCH_IMPORT_RUNS_PER_DAY) {
      return `A batch import runs at most ${MAX_BATCH_IMPORT_RUNS_PER_DAY} times a day; this schedule runs it ${perDay} times. Use a realtime job for frequent imports.`;
    }
  }
  return undefined;
}

/** A timing in words: `mon, fri at 06:00 (Europe/Paris)`, `every 15 min`, `cron "0 6 * * *"`. */
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
