import { timeZoneProblem } from '../../domain/cron';
import type { Direction, JobMode } from '../../domain/jobDefinition';
import { nextRunTimes } from '../../domain/nextRuns';
import { MAX_BATCH_IMPORT_RUNS_PER_DAY, effectiveTiming, runsPerDay, schedulingRefusal, timingProblems, type Scheduling } from '../../domain/schedule';
import type { TaskType } from '../../taskTypes/taskType';
import { describeScheduling } from './display';

/**
 * What a schedule being edited would do, before it is saved (the console's Scheduling tab):
 * the server's own rules (schedulingRefusal, the four-a-day rule among them), each problem
 * naming its field, and the next run times in words, in the schedule's time zone.
 */
export interface SchedulePreview {
  summary: string;
  /** Runs on the busiest day; null without a schedule. */
  runsPerDay: number | null;
  /** The most a day may have for this job (batch imports), else null. */
  maxRunsPerDay: number | null;
  /** Why saving would be refused, as the create and update routes would say it; null when allowed. */
  refusal: string | null;
  problems: { field: string; message: string }[];
  timezone: string;
  nextRuns: { at: string; words: string }[];
}

export interface PreviewInput {
  mode: JobMode;
  direction: Direction;
  scheduling: Scheduling;
  timezone: string;
  count: number;
}

export function previewSchedule(input: PreviewInput, taskType: TaskType, now: Date): SchedulePreview {
  const timing = effectiveTiming(input.scheduling, taskType.defaultTiming);
  const tz = (input.mode !== 'on-demand' ? timing?.timezone : undefined) ?? input.timezone;
  const problems: SchedulePreview['problems'] = [];
  const tzProblem = timeZoneProblem(input.timezone);
  if (tzProblem) problems.push({ field: 'timezone', message: tzProblem });
  const timingErrors = input.mode === 'on-demand' || !timing ? [] : timingProblems(timing);
  for (const p of timingErrors) {
    const cut = p.indexOf(': ');
    problems.push({ field: p.slice(0, cut), message: p.slice(cut + 2) });
  }
  const refusal = schedulingRefusal(input.mode, input.direction, input.scheduling, taskType.defaultTiming) ?? (tzProblem ? `timezone: ${tzProblem}.` : undefined);
  // A refusal that is not about a field of the timing (on-demand, realtime without schedule, four a day) is about the scheduling.
  if (refusal && !timingErrors.length && !tzProblem) problems.push({ field: 'scheduling', message: refusal });
  const valid = input.mode !== 'on-demand' && timing && !timingErrors.length && !timeZoneProblem(tz);
  const perDay = input.mode !== 'on-demand' && timing && !timingErrors.length ? runsPerDay(timing) : null;
  return {
    summary: describeScheduling(input.scheduling, input.mode, timing),
    runsPerDay: perDay,
    maxRunsPerDay: input.mode === 'batch' && input.direction === 'import' ? MAX_BATCH_IMPORT_RUNS_PER_DAY : null,
    refusal: refusal ?? null,
    problems,
    timezone: tz,
    nextRuns: valid ? nextRunTimes(timing, input.timezone, now, input.count).map((d) => ({ at: d.toISOString(), words: runWords(d, tz) })) : [],
  };
}

/** "Mon 7 Dec, 06:00 Europe/Paris": the day, date and time in the schedule's own time zone. */
export function runWords(at: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(at).map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month}, ${parts.hour}:${parts.minute} ${timezone}`;
}
