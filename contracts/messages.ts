import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { JobSettings, JobState, JobStatus, RunRequest, RunSummary } from '../domain/jobLifecycle';
import type { RunCounters, RunPhase, RunStatus } from '../domain/runStatus';

/**
 * Signals, updates and queries of the job workflow: the contract the API and schedules use.
 * People's requests through the API are updates (the workflow's own answer in one round trip);
 * schedule ticks, the source watch and workflows started before the updates use the signals.
 */

/** Signals that ask for an action: sent by schedule ticks and the source watch, and still accepted from older callers. */
export const runNowSignal = defineSignal<[RunRequest]>('runNow');
export const pauseSignal = defineSignal<[{ by: string; note?: string }]>('pause');
export const reactivateSignal = defineSignal<[{ by: string }]>('reactivate');
export const definitionChangedSignal = defineSignal<[{ settings: JobSettings; name: string }]>('definitionChanged');
export const deleteSignal = defineSignal<[{ by: string }]>('delete');
/** Something the on-demand job waits for happened: a file landed, data changed, an API call. */
export const eventSignal = defineSignal<[{ source: string; detail?: string }]>('event');
/** Sent by a run workflow to its job as it moves through its phases. */
export const runPhaseSignal = defineSignal<[{ runNumber: number; phase: RunPhase }]>('runPhase');
/**
 * Sent by a run its Schedule started, when it ends: the job records it, and decides what follows
 * (a rerun, a halt, the report email), as at the end of a run it started itself.
 */
export const runEndedSignal = defineSignal<[RunSummary & { workflowId: string }]>('runEnded');

export interface JobView extends JobState {
  status: JobStatus;
  /** Run requests by signal (schedule ticks, events) refused since the last continue-as-new, newest first (at most 5); the API's requests get their refusal as the answer instead. */
  refusals: { at: string; trigger: string; reason: string }[];
}
export const statusQuery = defineQuery<JobView>('status');

/** A run workflow's own query: its status and counters as it goes. */
export const runStatusQuery = defineQuery<{ status: RunStatus; counters: RunCounters }>('runStatus');

/**
 * A request from a person, through the API. The API waits for the answer until a little after
 * `expiresAt`; a request no worker took by then is refused (REQUEST_EXPIRED), so one the API
 * answered 503 for is never applied later, when a worker comes back.
 */
interface PersonRequest {
  /** ISO time, by the API's clock, compared with the workflow's (the Temporal server's). */
  expiresAt: string;
}
export interface RunNowRequest extends PersonRequest {
  trigger: 'manual' | 'event';
  requestedBy: string;
  /** An event's description, for operators reading the history. */
  detail?: string;
}
export interface RunNowAnswer {
  result: 'started' | 'queued' | 'already_queued';
}
export interface PauseRequest extends PersonRequest {
  by: string;
  note?: string;
}
export interface PauseAnswer {
  result: 'paused' | 'already_paused';
}
export interface ReactivateRequest extends PersonRequest {
  by: string;
}
export interface ReactivateAnswer {
  result: 'reactivated' | 'not_paused';
}
export const runNowUpdate = defineUpdate<RunNowAnswer, [RunNowRequest]>('runNow');
export const pauseUpdate = defineUpdate<PauseAnswer, [PauseRequest]>('pause');
export const reactivateUpdate = defineUpdate<ReactivateAnswer, [ReactivateRequest]>('reactivate');

/** ApplicationFailure types an update's validator refuses with (the message is the reason). */
export const REQUEST_REFUSED = 'RequestRefused';
export const REQUEST_EXPIRED = 'RequestExpired';
