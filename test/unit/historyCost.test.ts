import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { historyCost } from '../../bench/lib/historyCost';

const { EventType } = temporal.api.enums.v1;
type Event = temporal.api.history.v1.IHistoryEvent;

let nextId = 1;
const event = (eventType: temporal.api.enums.v1.EventType, second: number, attributes: Record<string, unknown> = {}): Event =>
  ({ eventId: nextId++, eventType, eventTime: { seconds: second, nanos: 0 }, ...attributes }) as unknown as Event;
const searchAttributes = (...names: string[]) => ({ indexedFields: Object.fromEntries(names.map((n) => [n, { data: new Uint8Array() }])) });

/** bench:runcost counts billable actions from histories by Temporal Cloud's published rules. */
describe('run cost meter: billable actions counted from a history', () => {
  it('counts each rule: starts (by a schedule 3, a child 2 at its parent), timers, upserts, signals, updates, activity attempts, local-activity markers per task', () => {
    const events = [
      event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 10, { workflowExecutionStartedEventAttributes: { searchAttributes: searchAttributes('TemporalScheduledById') } }), // 3
      event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 10),
      event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 10),
      event(EventType.EVENT_TYPE_MARKER_RECORDED, 10, { markerRecordedEventAttributes: { markerName: 'core_local_activity', workflowTaskCompletedEventId: 3 } }), // 1
      event(EventType.EVENT_TYPE_MARKER_RECORDED, 10, { markerRecordedEventAttributes: { markerName: 'core_local_activity', workflowTaskCompletedEventId: 3 } }), // same task: 0
      event(EventType.EVENT_TYPE_MARKER_RECORDED, 10, { markerRecordedEventAttributes: { markerName: 'core_patch', workflowTaskCompletedEventId: 3 } }), // versioning: 0
      event(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, 10, { upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: searchAttributes('TemporalChangeVersion') } }), // 0
      event(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, 10, { upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: searchAttributes('JobStatus', 'TemporalChangeVersion') } }), // 1
      event(EventType.EVENT_TYPE_TIMER_STARTED, 10), // 1
      event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 10),
      event(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, 11, { activityTaskStartedEventAttributes: { attempt: 3 } }), // 3
      event(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 11), // 2
      event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 12), // 1
      event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, 12), // 1
      event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 12),
      event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 12),
      event(EventType.EVENT_TYPE_MARKER_RECORDED, 12, { markerRecordedEventAttributes: { markerName: 'core_local_activity', workflowTaskCompletedEventId: 16 } }), // another task: 1
    ];
    assert.deepEqual(historyCost(events), { events: 17, workflowTasks: 2, activityTasks: 1, actions: 3 + 1 + 1 + 1 + 3 + 2 + 1 + 1 + 1 });
  });

  it('bills a child\'s start to its parent, and counts only the events in the window', () => {
    const child = [
      event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 100, { workflowExecutionStartedEventAttributes: { parentWorkflowExecution: { workflowId: 'job' } } }),
      event(EventType.EVENT_TYPE_TIMER_STARTED, 100),
      event(EventType.EVENT_TYPE_TIMER_STARTED, 200),
    ];
    assert.deepEqual(historyCost(child), { events: 3, workflowTasks: 0, activityTasks: 0, actions: 2 });
    assert.deepEqual(historyCost(child, 150_000, 250_000), { events: 1, workflowTasks: 0, activityTasks: 0, actions: 1 });
  });
});
