import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { JobSettings, JobState, JobStatus, RunRequest } from '../domain/jobLifecycle';
import type { RunPhase } from '../domain/runStatus';

/** Signals and queries of the job workflow: the contract the API and schedules use. */

export const runNowSignal = defineSignal<[RunRequest]>('runNow');
export const pauseSignal = defineSignal<[{ by: string; note?: string }]>('pause');
export const reactivateSignal = defineSignal<[{ by: string }]>('reactivate');
export const definitionChangedSignal = defineSignal<[{ settings: JobSettings; name: string }]>('definitionChanged');
export const deleteSignal = defineSignal<[{ by: string }]>('delete');
/** Something the on-demand job waits for happened: a file landed, data changed, an API call. */
export const eventSignal = defineSignal<[{ source: string; detail?: string }]>('event');
/** Sent by a run workflow to its job as it moves through its phases. */
export const runPhaseSignal = defineSignal<[{ runNumber: number; phase: RunPhase }]>('runPhase');

export interface JobView extends JobState {
  status: JobStatus;
  /** Run requests refused since the last continue-as-new, newest first (at most 5). */
  refusals: { at: string; trigger: string; reason: string }[];
}
export const statusQuery = defineQuery<JobView>('status');
