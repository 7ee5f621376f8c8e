import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import { jobScheduleId, RETENTION_SCHEDULE_ID } from '../contracts/workflowIds';
import { describeTiming, intervalSeconds, type Timing } from '../domain/schedule';
import { DomainKey, JobIdKey } from '../contracts/searchAttributes';

/**
 * A job's Temporal Schedule (batch and realtime jobs). It starts scheduledRunWorkflow,
 * which asks the job workflow for a run; the job workflow decides.
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
  timing: Timing;
  timezone: string;
  taskQueue: string;
  /** A note when the schedule should be paused (job paused or halted). */
  pausedNote?: string;
}

/**
 * Every tick is started (overlap ALLOW_ALL): the job workflow, not the schedule, keeps runs
 * from overlapping (a tick during a run is queued once). With SKIP the schedule had to check
 * on its last tick before each new one, and a tick the server started late (under a burst of
 * a thousand schedules) made it skip the next minute's.
 */
const policies = { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '10 minutes' } as const;

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
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'scheduledRunWorkflow',
    args: [{ domain: s.domain, jobId: s.jobId }],
    taskQueue: s.taskQueue,
    workflowId: `tick-${s.domain}-${s.jobId}`,
    staticSummary: `Scheduled run request for ${s.name} (${s.domain}/${s.jobId}): ${describeTiming(s.timing)}`,
    typedSearchAttributes: [
      { key: DomainKey, value: s.domain },
      { key: JobIdKey, value: s.jobId },
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
  const spec: ScheduleSpec = { cronExpressions: [input.cron], timezone: 'UTC' };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'retentionWorkflow',
    args: [],
    taskQueue: input.taskQueue,
    workflowId: 'system-retention-run',
    staticSummary: 'Retention: delete run history older than the retention settings',
  };
  const retentionPolicies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' } as const;
  const handle = client.schedule.getHandle(RETENTION_SCHEDULE_ID);
  try {
    await handle.update((prev) => ({ ...prev, spec, action, policies: { ...prev.policies, ...retentionPolicies } }));
  } catch (e) {
    if (!(e instanceof ScheduleNotFoundError)) throw e;
    try {
      await client.schedule.create({ scheduleId: RETENTION_SCHEDULE_ID, spec, action, policies: retentionPolicies, state: { note: 'Created by a worker.' } });
    } catch (raced) {
      if (!(raced instanceof ScheduleAlreadyRunning)) throw raced; // another worker made it meanwhile
    }
  }
}
