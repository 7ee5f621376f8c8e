import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import { msToTs, optionalTsToDate } from '@temporalio/common/lib/time';
import { jobScheduleId, MISSED_SCHEDULES_SCHEDULE_ID, RETENTION_SCHEDULE_ID } from '../contracts/workflowIds';
import { durationInWords } from '../domain/jobWords';
import { describeTiming, intervalSeconds, type Timing } from '../domain/schedule';
import { DomainKey, JobIdKey, JobModeKey, TaskTypeKey } from '../contracts/searchAttributes';
import type { JobMode } from '../domain/jobDefinition';

/**
 * A job's Temporal Schedule (batch and realtime jobs). It starts the run itself
 * (scheduledJobRunWorkflow), which runs when the job's run slot is free and the job lets it, and
 * otherwise hands its time to the job workflow. Schedules made before that started
 * scheduledRunWorkflow, a tick that asked the job workflow for every run; the next change to
 * the job's definition updates them.
 */

export function toScheduleSpec(timing: Timing, timezone: string): ScheduleSpec {
  const tz = timing.timezone ?? timezone;
  switch (timing.kind) {
    case 'calendar':
      return {
        timezone: tz,
        calendars: timing.times.map((t) => {
          const [hour, minute] = t.split(':').map(Number) as [number, number];
          return { dayOfWeek: timing.days, hour, minute };
        }),
      };
    case 'interval':
      return { timezone: tz, intervals: [{ every: `${intervalSeconds(timing)}s` }] };
    case 'cron':
      return { timezone: tz, cronExpressions: [timing.expression] };
  }
}

export interface JobScheduleInput {
  domain: string;
  jobId: string;
  name: string;
  mode: JobMode;
  taskType: string;
  timing: Timing;
  timezone: string;
  taskQueue: string;
  /** A note when the schedule should be paused (job paused or halted). */
  pausedNote?: string;
  /** SCHEDULE_CATCHUP_WINDOW: how late a tick may still be taken, by Temporal and then by the tick workflow. */
  catchupWindowMs: number;
}

/**
 * Every tick is started (overlap ALLOW_ALL): the run slot and the job workflow, not the schedule,
 * keep runs from overlapping (a tick during a run is queued once). With SKIP the schedule had to check
 * on its last tick before each new one, and a tick the server started late (under a burst of
 * a thousand schedules) made it skip the next minute's. The catch-up window is
 * SCHEDULE_CATCHUP_WINDOW: a time Temporal could not start within it is skipped (and the
 * missed-schedule reconciler records it).
 */
const policiesOf = (catchupWindowMs: number) => ({ overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: catchupWindowMs });

/**
 * Temporal refused a schedule's spec (time zone, cron string). The SDK reports the server's
 * INVALID_ARGUMENT "Invalid schedule spec" as a bare TypeError; this names it so the API's
 * error handler can answer 422 instead of 500.
 */
export class ScheduleSpecRefusedError extends Error {}

/** Creates the job's schedule, or updates it to match the job's definition. */
export async function upsertJobSchedule(client: Client, s: JobScheduleInput): Promise<void> {
  try {
    await createOrUpdate(client, s);
  } catch (e) {
    if (e instanceof TypeError) throw new ScheduleSpecRefusedError(e.message);
    throw e;
  }
}

async function createOrUpdate(client: Client, s: JobScheduleInput): Promise<void> {
  const scheduleId = jobScheduleId(s.domain, s.jobId);
  const spec = toScheduleSpec(s.timing, s.timezone);
  const policies = policiesOf(s.catchupWindowMs);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'scheduledJobRunWorkflow',
    // The run applies the same window: a time no worker took in time is recorded missed, not run late.
    args: [{ domain: s.domain, jobId: s.jobId, catchupWindowMs: s.catchupWindowMs }],
    taskQueue: s.taskQueue,
    // Temporal appends the scheduled time: run-<domain>-<job>-at-2026-12-08T02:00:00Z.
    workflowId: `run-${s.domain}-${s.jobId}-at`,
    staticSummary: `Scheduled run of ${s.name} (${s.domain}/${s.jobId}): ${describeTiming(s.timing)}`,
    staticDetails: tickDetails(s),
    typedSearchAttributes: [
      { key: DomainKey, value: s.domain },
      { key: JobIdKey, value: s.jobId },
      { key: JobModeKey, value: s.mode },
      { key: TaskTypeKey, value: s.taskType },
    ],
  };
  try {
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action, policies: { ...prev.policies, ...policies } }));
  } catch (e) {
    if (!(e instanceof ScheduleNotFoundError)) throw e;
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      memo: { jobName: s.name },
      policies,
      state: s.pausedNote ? { paused: true, note: s.pausedNote } : { note: 'Created with the job.' },
    });
  }
}

/**
 * What a scheduled run is, for Temporal Web (the schedule's action carries it to every run):
 * the job, its schedule in words and what the run does when it cannot run. Ids, times and words only: no
 * source, destination or credential.
 */
export function tickDetails(s: Pick<JobScheduleInput, 'domain' | 'jobId' | 'name' | 'timing' | 'timezone' | 'catchupWindowMs'>): string {
  const zone = s.timing.timezone ? '' : ` (${s.timezone})`;
  return [
    `Job ${s.name} (${s.domain}/${s.jobId}), schedule ${jobScheduleId(s.domain, s.jobId)}: ${describeTiming(s.timing)}${zone}`,
    `Runs the job at this scheduled time. When another run of the job is in progress, or the job is paused, halted or owes a rerun, it hands the time to the job workflow instead, which decides (a time during a run is queued once, a paused job refuses it).`,
    `A time no worker takes within ${durationInWords(s.catchupWindowMs)} is recorded as missed, not run late.`,
  ].join('\n\n'); // paragraphs: Temporal Web renders details as Markdown
}

export async function deleteJobSchedule(client: Client, domain: string, jobId: string): Promise<void> {
  try {
    await client.schedule.getHandle(jobScheduleId(domain, jobId)).delete();
  } catch (e) {
    if (!(e instanceof ScheduleNotFoundError)) throw e;
  }
}

/**
 * Pauses the schedule with a note (who and why), or unpauses it when note is undefined.
 * Returns the next time it will start a run, if it will. A describe is a query the server
 * answers from the schedule's own workflow, not cheap, and the job workflow calls this after
 * every run: when the schedule is already as wanted (the usual case), the first describe
 * gives the next run time and nothing else is asked.
 */
export async function setSchedulePaused(client: Client, domain: string, jobId: string, note: string | undefined): Promise<{ nextRunAt?: string }> {
  const handle = client.schedule.getHandle(jobScheduleId(domain, jobId));
  let desc;
  try {
    desc = await handle.describe();
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) return {};
    throw e;
  }
  if (note) {
    if (!desc.state.paused || desc.state.note !== note) await handle.pause(note);
    return {};
  }
  if (desc.state.paused) {
    await handle.unpause('Reactivated.');
    desc = await handle.describe();
  }
  return { nextRunAt: desc.info.nextActionTimes[0]?.toISOString() };
}

/**
 * The system schedule that keeps run history bounded (README, Retention): retentionWorkflow
 * daily at `cron` (UTC), one at a time. Every worker makes sure of it as it starts, so the
 * last one started sets the time; an operator's pause (Temporal Web) is kept.
 */
export async function ensureRetentionSchedule(client: Client, input: { cron: string; taskQueue: string }): Promise<void> {
  await ensureSystemSchedule(client, RETENTION_SCHEDULE_ID, {
    spec: { cronExpressions: [input.cron], timezone: 'UTC' },
    workflowType: 'retentionWorkflow',
    workflowId: 'system-retention-run',
    summary: 'Retention: delete run history older than the retention settings',
    taskQueue: input.taskQueue,
    catchupWindow: '1 hour',
  });
}

/** The system schedule that starts missedSchedulesWorkflow (README, Missed schedules) every `everyMs`, one at a time. */
export async function ensureMissedSchedulesSchedule(client: Client, input: { everyMs: number; taskQueue: string }): Promise<void> {
  await ensureSystemSchedule(client, MISSED_SCHEDULES_SCHEDULE_ID, {
    spec: { intervals: [{ every: input.everyMs }] },
    workflowType: 'missedSchedulesWorkflow',
    workflowId: 'system-missed-schedules-run',
    summary: "Missed schedules: record the jobs' scheduled times that got no run, with why",
    taskQueue: input.taskQueue,
    catchupWindow: '1 minute',
  });
}

/**
 * A system schedule as every worker makes it at start: updated in place (an operator's pause
 * is kept) or created, one run at a time; a worker that loses the race to create it is fine.
 */
async function ensureSystemSchedule(
  client: Client,
  scheduleId: string,
  s: { spec: ScheduleSpec; workflowType: string; workflowId: string; summary: string; taskQueue: string; catchupWindow: string },
): Promise<void> {
  const spec = s.spec;
  const action = { type: 'startWorkflow' as const, workflowType: s.workflowType, args: [], taskQueue: s.taskQueue, workflowId: s.workflowId, staticSummary: s.summary };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: s.catchupWindow } as const;
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((prev) => ({ ...prev, spec, action, policies: { ...prev.policies, ...policies } }));
  } catch (e) {
    if (!(e instanceof ScheduleNotFoundError)) throw e;
    try {
      await client.schedule.create({ scheduleId, spec, action, policies, state: { note: 'Created by a worker.' } });
    } catch (raced) {
      if (!(raced instanceof ScheduleAlreadyRunning)) throw raced; // another worker made it meanwhile
    }
  }
}

const isNotFound = (e: unknown) => e instanceof ScheduleNotFoundError || (e as { code?: number })?.code === 5; // gRPC NOT_FOUND

/** The times the job's schedule spec names in [from, to] (Temporal's own calendar), or undefined when it has no schedule. */
export async function scheduleTimesBetween(client: Client, domain: string, jobId: string, from: Date, to: Date): Promise<Date[] | undefined> {
  try {
    const res = await client.workflowService.listScheduleMatchingTimes({
      namespace: client.options.namespace, scheduleId: jobScheduleId(domain, jobId), startTime: msToTs(from.getTime()), endTime: msToTs(to.getTime()),
    });
    return (res.startTime ?? []).map((t) => optionalTsToDate(t)!).filter(Boolean);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** What the job's schedule says of its recent actions and skips (a describe), or undefined when it has none. */
export async function scheduleRecord(client: Client, domain: string, jobId: string): Promise<{ taken: Date[]; missedCatchupWindow: number; overlapSkipped: number; since: Date } | undefined> {
  try {
    const d = await client.schedule.getHandle(jobScheduleId(domain, jobId)).describe();
    return {
      taken: d.info.recentActions.map((a) => a.scheduledAt), missedCatchupWindow: d.info.numActionsMissedCatchupWindow, overlapSkipped: d.info.numActionsSkippedOverlap,
      since: d.info.lastUpdatedAt ?? d.info.createdAt,
    };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
