import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { EventType } = temporal.api.enums.v1;

export interface ActivitySpan {
  activity: string;
  scheduled: number;
  started?: number;
  ended?: number;
  outcome: 'completed' | 'failed' | 'timed out' | 'canceled' | 'running';
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : 0);

/** Every activity a workflow ran, with when it was scheduled, started (last attempt) and ended, from its history. */
export async function activityTimeline(client: Client, workflowId: string): Promise<ActivitySpan[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const byId = new Map<string, ActivitySpan>();
  const spans: ActivitySpan[] = [];
  for (const e of history.events ?? []) {
    const at = ms(e.eventTime);
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const span: ActivitySpan = { activity: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', scheduled: at, outcome: 'running' };
      byId.set(String(e.eventId), span);
      spans.push(span);
      continue;
    }
    const attrs =
      e.activityTaskStartedEventAttributes ?? e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    const span = attrs && 'scheduledEventId' in attrs ? byId.get(String(attrs.scheduledEventId)) : undefined;
    if (!span) continue;
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) span.started = at;
    else {
      span.ended = at;
      span.outcome =
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED ? 'completed'
          : e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED ? 'failed'
            : e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT ? 'timed out' : 'canceled';
    }
  }
  return spans;
}

/** Prints each activity's time and the time between activities (Temporal and workflow overhead), from `t0` (ms since the epoch). */
export function printTimeline(spans: ActivitySpan[], t0: number): void {
  let last = t0;
  let gaps = 0;
  console.log('  activity                     queued   ran (s)   outcome');
  for (const s of spans) {
    const gap = Math.max(0, s.scheduled - last);
    gaps += gap;
    const queued = s.started ? s.started - s.scheduled : 0;
    const ran = s.started && s.ended ? s.ended - s.started : NaN;
    console.log(`  ${s.activity.padEnd(26)} ${(queued / 1000).toFixed(2).padStart(7)}  ${(ran / 1000).toFixed(2).padStart(8)}   ${s.outcome}`);
    last = s.ended ?? last;
  }
  console.log(`  between activities (workflow tasks, API → job workflow → run workflow): ${(gaps / 1000).toFixed(2)} s`);
}
