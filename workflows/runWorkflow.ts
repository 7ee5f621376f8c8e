import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { NON_RETRYABLE_TYPES, outcomeForFailureType, RUN_CANCELED_TYPE } from '../domain/failures';
import type { Direction, RunTrigger } from '../domain/jobDefinition';
import { emptyCounters, outcomeOf, type RunCounters, type RunOutcome, type RunPhase, type RunStatus } from '../domain/runStatus';
import { runPhaseSignal, runStatusQuery } from '../contracts/messages';
import { RunStatusKey } from '../contracts/searchAttributes';

export interface RunWorkflowInput {
  domain: string;
  jobId: string;
  runNumber: number;
  trigger: RunTrigger;
  attempt: number;
  direction: Direction;
  taskType: string;
  /** Where the rows come from or go, in words people read (a file name, "ftp host x"): for summaries. */
  where?: string;
  /** The job workflow to tell about phase changes. */
  jobWorkflowId: string;
  /** For schedule triggers: when the schedule meant the run to start (for the schedule-lag metric). */
  scheduledAt?: string;
}

export interface RunResult {
  outcome: RunOutcome;
  reason?: string;
  counters: RunCounters;
}

type Activities = ReturnType<typeof createActivities>;

// Activities retry what a retry can fix (a dropped connection, a restarted worker) a few
// times; the failure types that mean "failed" or "halted" are left to the job's retries.
const activityRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 8,
  nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
};

const bookkeeping = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: activityRetry });

// The run record's start and end are short writes to PostgreSQL: as local activities they
// cost the server no activity task and no workflow task of their own.
const localBookkeeping = proxyLocalActivities<Activities>({ startToCloseTimeout: '1 minute', retry: activityRetry });

/**
 * Runs recorded before this patch kept their run record with (non-local) activities,
 * signalled each phase to the job workflow and set RunStatus at each phase: half of a run's
 * history events (54 of them; 28 now), and a workflow task of the job's per phase, which at a
 * thousand runs a minute the server could not afford. The phase lives in the run record (each
 * phase's activity writes it), where the API reads it; RunStatus is `queued`, then the outcome.
 */
export const LEAN_RUN_PATCH = 'lean-run';

/**
 * Runs recorded before this patch ran each phase as an activity of its own, with the run
 * record's start and end as local activities: now one activity does the record's start, the
 * phases and the record's end (activities/runPhases.ts), and the workflow records the end
 * itself only when that activity failed or was canceled.
 */
export const ONE_ACTIVITY_RUN_PATCH = 'one-activity-run';

// Data phases stream whole files: long, heartbeating, and resumable from their heartbeats.
// The last phase waits for the activity to confirm cancellation, so a run canceled as it
// commits is recorded as what really happened.
const dataPhases = proxyActivities<Activities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '30 seconds',
  retry: activityRetry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** The failure type and message a person should read, from an activity's failure. */
function describeFailure(err: unknown): { outcome: 'failed' | 'halted'; reason: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { outcome: outcomeForFailureType(cause.type), reason: cause.message };
  return { outcome: 'failed', reason: cause instanceof Error ? cause.message : String(cause) };
}

/** What a run's failed or canceled activity means for the run. */
export function runFailure(err: unknown): { outcome: 'failed' | 'halted' | 'canceled'; reason: string } {
  if (isCancellation(err) || (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === RUN_CANCELED_TYPE)) return { outcome: 'canceled', reason: 'Canceled by a person.' };
  return describeFailure(err);
}

/** One execution of a job: its phases (one activity, runPhases; each its own before ONE_ACTIVITY_RUN_PATCH), then its outcome. */
export async function runWorkflow(input: RunWorkflowInput): Promise<RunResult> {
  const ref = { domain: input.domain, jobId: input.jobId, runNumber: input.runNumber };
  let status: RunStatus = 'queued';
  let counters = emptyCounters();
  setHandler(runStatusQuery, () => ({ status, counters }));

  const lean = patched(LEAN_RUN_PATCH);
  const records = lean ? localBookkeeping : bookkeeping;
  const job = getExternalWorkflowHandle(input.jobWorkflowId);
  const enter = async (phase: RunPhase) => {
    status = phase;
    if (lean) return;
    upsertSearchAttributes([{ key: RunStatusKey, value: phase }]);
    await job.signal(runPhaseSignal, { runNumber: input.runNumber, phase });
  };

  // Summaries name what each phase works on, for operators in Temporal Web.
  const from = input.where ? ` from ${input.where}` : '';
  const to = input.where ? ` to ${input.where}` : '';
  const ended = (final: RunResult) => {
    status = final.outcome;
    counters = final.counters;
    upsertSearchAttributes([{ key: RunStatusKey, value: final.outcome }]);
    return final;
  };
  const whatFailed = (err: unknown): RunResult => ({ ...runFailure(err), counters });

  if (lean && patched(ONE_ACTIVITY_RUN_PATCH)) {
    status = input.direction === 'import' ? 'validating' : 'extracting';
    const summary = input.direction === 'import'
      ? `import ${input.taskType} rows${from}: validate, process, load`
      : `export ${input.taskType} rows${to}: extract, deliver`;
    let failure: RunResult | undefined;
    const final = await dataPhases.runPhases.executeWithOptions({ summary }, [{
      ...ref, trigger: input.trigger, attempt: input.attempt, scheduledAt: input.scheduledAt, direction: input.direction,
    }]).catch((err: unknown) => {
      failure = whatFailed(err);
      return undefined;
    });
    // Whatever happened, the run's record and its outcome are written, even when canceled.
    return CancellationScope.nonCancellable(async () => ended(final ?? await records.recordRunEnd.executeWithOptions(
      { summary: `record run ${input.runNumber} as ${failure!.outcome}` },
      [{ ...ref, outcome: failure!.outcome, reason: failure!.reason }],
    )));
  }

  let result: RunResult;
  try {
    await records.recordRunStart.executeWithOptions({ summary: `record the start of run ${input.runNumber}` }, [{ ...ref, trigger: input.trigger, attempt: input.attempt, scheduledAt: input.scheduledAt }]);
    if (input.direction === 'import') {
      await enter('validating');
      counters = await dataPhases.validateImport.executeWithOptions({ summary: `validate ${input.taskType} rows${from}` }, [ref]);
      await enter('processing');
      counters = await dataPhases.processImport.executeWithOptions({ summary: `process ${counters.read} ${input.taskType} rows` }, [ref]);
      await enter('importing');
      counters = await dataPhases.loadImport.executeWithOptions({ summary: `load ${input.taskType} rows into the domain's table` }, [ref]);
    } else {
      await enter('extracting');
      counters = await dataPhases.extractExport.executeWithOptions({ summary: `extract ${input.taskType} rows` }, [ref]);
      await enter('delivering');
      counters = await dataPhases.deliverExport.executeWithOptions({ summary: `deliver ${counters.read} rows${to}` }, [ref]);
    }
    result = { outcome: outcomeOf(counters), counters };
  } catch (err) {
    result = whatFailed(err);
  }

  // Whatever happened, the run's record and its outcome are written, even when canceled.
  return CancellationScope.nonCancellable(async () =>
    ended(await records.recordRunEnd.executeWithOptions({ summary: `record run ${input.runNumber} as ${result.outcome}` }, [{ ...ref, outcome: result.outcome, reason: result.reason }])));
}
