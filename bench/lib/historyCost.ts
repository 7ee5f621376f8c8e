import { temporal } from '@temporalio/proto';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What a slice of one workflow's history cost the server. */
export interface HistoryCost {
  events: number;
  workflowTasks: number;
  activityTasks: number;
  /** Billable actions by Temporal Cloud's published rules, as far as a history shows them. */
  actions: number;
}

export const emptyCost = (): HistoryCost => ({ events: 0, workflowTasks: 0, activityTasks: 0, actions: 0 });

export function addCost(into: HistoryCost, more: HistoryCost): void {
  into.events += more.events;
  into.workflowTasks += more.workflowTasks;
  into.activityTasks += more.activityTasks;
  into.actions += more.actions;
}

const at = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/** Temporal's own search attribute for versioning, which Cloud does not bill for. */
const CHANGE_VERSION = 'TemporalChangeVersion';
/** Set on a workflow a Schedule started. */
const SCHEDULED_BY = 'TemporalScheduledById';
/** The TypeScript SDK's marker for patched(): versioning, not billed (Cloud bills side effects and local activities). */
const PATCH_MARKER = 'core_patch';

/**
 * The cost of the events of one history that happened in [from, to), counted by Temporal
 * Cloud's rules (docs.temporal.io/cloud/actions): a workflow start 1 (a child's start 2, billed
 * to its parent; a start by a Schedule 3, the Schedule's 2 with it), a timer 1, a search
 * attribute upsert 1 (TemporalChangeVersion alone: 0), a signal received 1, an accepted update
 * 1, each activity attempt 1, the local-activity markers of one workflow task 1. Queries,
 * heartbeats and rejected updates leave nothing in a history: the server's `action` metric
 * counts those.
 */
export function historyCost(events: readonly HistoryEvent[], from = -Infinity, to = Infinity): HistoryCost {
  const cost = emptyCost();
  const markerTasks = new Set<string>();
  for (const e of events) {
    const t = at(e);
    if (t < from || t >= to) continue;
    cost.events++;
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const a = e.workflowExecutionStartedEventAttributes;
        if (a?.parentWorkflowExecution?.workflowId) break; // billed to the parent (2)
        cost.actions += 1;
        if (a?.searchAttributes?.indexedFields?.[SCHEDULED_BY]) cost.actions += 2;
        break;
      }
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        cost.actions += 2;
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        cost.actions += 1;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (fields.some((f) => f !== CHANGE_VERSION)) cost.actions += 1;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        cost.workflowTasks++;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        cost.activityTasks++;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        cost.actions += Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1);
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const a = e.markerRecordedEventAttributes;
        if (a?.markerName === PATCH_MARKER) break;
        const task = String(a?.workflowTaskCompletedEventId ?? e.eventId);
        if (!markerTasks.has(task)) cost.actions += 1;
        markerTasks.add(task);
        break;
      }
    }
  }
  return cost;
}
