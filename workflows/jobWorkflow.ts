import {
  ActivityCancellationType,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { emptyCounters } from '../domain/runStatus';
import { ABNORMAL_RUN_END } from '../domain/failures';
import type { createActivities } from '../activities';
import type { Direction } from '../domain/jobDefinition';
import { runWorkflowId } from '../contracts/workflowIds';
import {
  applySettings,
  controlRefusal,
  initialJobState,
  jobStatus,
  markPhase,
  markRunFinished,
  markRunStarted,
  msUntilRetry,
  nextRunToStart,
  noticeAfterRun,
  noticeAtStart,
  pause,
  reactivate,
  requestPause,
  requestReactivate,
  requestRun,
  runRefusal,
  type JobSettings,
  type RunNotice,
  type JobState,
  type RunRequest,
} from '../domain/jobLifecycle';
import {
  definitionChangedSignal,
  deleteSignal,
  eventSignal,
  pauseSignal,
  pauseUpdate,
  reactivateSignal,
  reactivateUpdate,
  REQUEST_EXPIRED,
  REQUEST_REFUSED,
  runNowSignal,
  runNowUpdate,
  runEndedSignal,
  runPhaseSignal,
  statusQuery,
  type JobView,
  type RunNowRequest,
} from '../contracts/messages';
import { jobInWords, jobStatusInWords, timerSummary } from '../domain/jobWords';
import { runWorkflow, type RunResult } from './runWorkflow';
import { MISSED_SCHEDULE_LEDGER_PATCH } from './scheduledRunWorkflow';
import { reasonOfRefusal, type MissedReason } from '../domain/missedSchedule';
import { DomainKey, JobIdKey, JobModeKey, JobStatusKey, RunStatusKey, TaskTypeKey } from '../contracts/searchAttributes';

export interface JobWorkflowInput {
  domain: string;
  jobId: string;
  name: string;
  direction: Direction;
  taskType: string;
  settings: JobSettings;
  /** Continue-as-new once the history has this many events (tests lower it). */
  historyLimit?: number;
  /** Carried across continue-as-new. */
  state?: JobState;
  refusals?: JobView['refusals'];
}

const DEFAULT_HISTORY_LIMIT = 5_000;

const { syncSchedule } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

// Watches an on-demand job's source directory for as long as the job is active; cancel ends it.
const { watchSource } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '3650 days',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
  cancellationType: ActivityCancellationType.TRY_CANCEL,
});

// Report emails: retried a few times, then given up on; a mail outage never touches a run.
const { notifyRun } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

// A missed-schedule entry: beside the job's work, like an email; a few tries, then a warning.
const { recordMissedSchedule } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: ['JobMissing'] },
});

// Closes the record of a run workflow that ended abnormally. A few quick tries: the record may
// never have been made (terminated before its first write), and the job must not wait long for it.
const { recordRunEnd } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4, nonRetryableErrorTypes: ['JobMissing'] },
});

// The run slot (io/runSlot.ts): retried until it answers; a job gone (deleted) is not retried.
const { takeRunSlot, setScheduledRunsAskJob, findOpenRun } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['JobMissing'] },
});

/** Workflows recorded before report emails existed replay without them. */
export const REPORT_EMAILS_PATCH = 'report-emails';

/** Workflows recorded before on-demand jobs watched their directory replay without the watch. */
export const SOURCE_WATCH_PATCH = 'on-demand-source-watch';

/**
 * Workflows recorded before this patch refreshed their schedule (a describe, and its next run
 * time) after every run. Now only a change of paused or halted does: the API reads next run
 * times from the Schedules themselves, and at a thousand runs a minute that describe, an
 * activity and its workflow task were a large share of the server's work.
 */
export const SCHEDULE_SYNC_ON_CHANGE_PATCH = 'schedule-sync-on-change';

/**
 * Workflows recorded before this patch left a run's record open (in its phase, its staging
 * table kept) when the run workflow ended abnormally (terminated or timed out by an operator),
 * and recorded the run as failed whatever its record said. Now the job closes the record and
 * takes its outcome (a load that committed stays completed), as at any run's end.
 */
export const CLOSE_ABNORMAL_RUN_PATCH = 'close-abnormal-run';

/**
 * Workflows recorded before this patch cost Temporal more per run than the run needed:
 * they waited for the next request under a 365-day timer, started and canceled twice per
 * run, and published JobStatus `running` at each run's start and the previous status at its
 * end (together 6 history events and 4 billable actions a run). Now the job waits on a timer
 * only when one is due (a retry), Temporal Web reads what it waits for in the workflow's
 * current details, and JobStatus changes only with the job's own state (paused, halted,
 * scheduled...): whether a run is in progress is in the run record, where the list reads it.
 */
export const LEAN_JOB_PATCH = 'lean-job';

/**
 * Workflows recorded before this patch numbered runs themselves and started every run, scheduled
 * ones too. Now a job's Schedule starts its runs (scheduledJobRunWorkflow) and the runs of either
 * take the job's run slot in PostgreSQL, which numbers them; the job starts the runs people, events
 * and reruns ask for, hears how each scheduled run ended, and tells scheduled runs when they must
 * ask it first (paused, halted, a rerun due).
 */
export const RUN_SLOT_PATCH = 'run-slot';

const ABNORMAL_END = ABNORMAL_RUN_END;

/** How often a job waiting behind a run its Schedule started asks the slot again. */
const HOLDER_CHECK_INTERVAL = '5 minutes';

const nowIso = () => new Date().toISOString(); // the workflow clock: deterministic on replay

/**
 * One long-running workflow per job: the single owner of the job's live state. Schedules,
 * the API and events only send it requests; it alone decides when a run starts, so runs of
 * one job never overlap and a paused or halted job never runs.
 */
export async function jobWorkflow(input: JobWorkflowInput): Promise<void> {
  const state = input.state ?? initialJobState(input.settings);
  const refusals = input.refusals ?? [];
  let name = input.name;
  // The schedule's pause state and next run time are refreshed when this is set.
  let scheduleStale = !input.state;
  // A run just ended: look again at what is due (a retry has its own time).
  let runEnded = false;
  // The run slot (RUN_SLOT_PATCH): a run being started is taking it.
  let slot: boolean | undefined;
  const slotted = () => (slot ??= patched(RUN_SLOT_PATCH));
  let claiming = false;
  // The last run its Schedule started that the job heard end.
  let lastEndHeard = 0;
  // What the job last told its scheduled runs: ask it first, or run (unknown after a continue-as-new).
  let askJobWritten: boolean | undefined;
  let askJobWrites: Promise<void> = Promise.resolve();
  // A job owing a recovery notice (needsAttention) hears the next good run: it runs through the job.
  const askJobWanted = () => !!(state.paused || state.halted || state.retry || state.needsAttention || state.settings.setupStatus !== 'ready');
  const writeAskJob = (askJob: boolean): Promise<void> => {
    askJobWritten = askJob;
    // In order: the last state written is the last state the job was in.
    askJobWrites = askJobWrites
      .then(() => setScheduledRunsAskJob({ domain: input.domain, jobId: input.jobId, askJob }))
      .catch((err) => log.warn('Scheduled runs not told whether to ask the job', { askJob, error: String(err) }));
    return askJobWrites;
  };
  const askJobOutOfStep = () => !!slot && state.settings.hasSchedule && askJobWanted() !== askJobWritten;

  // On-demand imports: a watch activity turns a new file in the source directory into an event.
  let watch: { scope: CancellationScope } | undefined;
  let watchEnabled: boolean | undefined;
  const watchWanted = () =>
    input.direction === 'import' && state.settings.mode === 'on-demand' && state.settings.active && !state.paused && !state.halted && !state.deleted;
  const stopWatch = () => {
    watch?.scope.cancel();
    watch = undefined;
  };
  const watchOutOfStep = () => watchEnabled === true && watchWanted() !== !!watch;
  const syncWatch = () => {
    if (!watchWanted()) return stopWatch();
    if (watch) return;
    watchEnabled ??= patched(SOURCE_WATCH_PATCH);
    if (!watchEnabled) return;
    // A watch that ends by itself (the source is not a directory) stays in place, so it is
    // not restarted until the definition changes.
    const scope = new CancellationScope();
    watch = { scope };
    scope.run(() => watchSource({ domain: input.domain, jobId: input.jobId })).catch((err) => {
      if (!scope.consideredCancelled) log.warn('Source watch ended', { error: String(err) });
    });
  };

  // Emails go out beside the job's work, never in its way; continue-as-new waits for them.
  const pendingNotices = new Set<Promise<void>>();
  const notify = (runNumber: number, notice: RunNotice | undefined, request?: RunRequest, attempt?: number) => {
    if (!notice || !state.settings.sendReport || !patched(REPORT_EMAILS_PATCH)) return;
    const sent: Promise<void> = notifyRun({ domain: input.domain, jobId: input.jobId, runNumber, notice, trigger: request?.trigger, attempt })
      .then(() => undefined, (err) => log.warn('Report email not sent', { notice, error: String(err) }))
      .finally(() => pendingNotices.delete(sent));
    pendingNotices.add(sent);
  };

  // A scheduled time that gets no run of its own goes into the missed-schedule ledger (README, Missed schedules).
  const recordMissed = (req: RunRequest | undefined, reason: MissedReason, detail: string, mergedInto?: string) => {
    if (req?.trigger !== 'schedule' || !req.scheduledAt || !patched(MISSED_SCHEDULE_LEDGER_PATCH)) return;
    const recorded: Promise<void> = recordMissedSchedule({ domain: input.domain, jobId: input.jobId, scheduledAt: req.scheduledAt, reason, detail, mergedInto })
      .then(() => undefined, (err) => log.warn('Missed time not recorded', { scheduledAt: req.scheduledAt, error: String(err) }))
      .finally(() => pendingNotices.delete(recorded));
    pendingNotices.add(recorded);
  };
  const mergedDetail = (into: RunRequest | undefined) =>
    `It came while a run was already queued behind the current one (${into?.scheduledAt ? `the one scheduled for ${into.scheduledAt}` : `a ${into?.trigger ?? 'queued'} run`}), and joined it.`;
  // A pause drops the request queued behind the current run: a scheduled one is then missed.
  const pauseDropped = (queued: RunRequest | undefined) => {
    if (queued && !state.queued) recordMissed(queued, 'paused', 'It was queued behind the current run when the job was paused.');
  };

  const refuse = (req: RunRequest, reason: string) => {
    refusals.unshift({ at: nowIso(), trigger: req.trigger, reason });
    refusals.splice(5);
    log.info('Run request refused', { trigger: req.trigger, reason });
  };
  const accept = (req: RunRequest) => {
    const queued = state.queued;
    const r = requestRun(state, req);
    if (r.result === 'refused') {
      refuse(req, r.reason);
      recordMissed(req, reasonOfRefusal(state), r.reason);
    } else if (r.result === 'already_queued') {
      recordMissed(req, 'merged', mergedDetail(queued), queued?.scheduledAt);
    }
  };

  setHandler(runNowSignal, accept);
  setHandler(eventSignal, (e) => accept({ trigger: 'event', requestedBy: e.source }));
  const isJobsOwnRun = (run: { number: number; workflowId: string }) => run.workflowId === runWorkflowId(input.domain, input.jobId, run.number);
  // A paused job's scheduled runs ask it first from the moment the pause is answered. (Handlers
  // stay synchronous otherwise: an answer a microtask later reorders the commands of old histories.)
  const holdsScheduledRuns = () => slotted() && state.settings.hasSchedule;
  // The pause is answered once scheduled runs ask first, or after a few seconds when the database
  // does not answer (the write goes on, and nothing scheduled can take the slot meanwhile either).
  const answerOnceHeld = async () => {
    let held = false;
    void writeAskJob(true).then(() => (held = true));
    await condition(() => held, '5 seconds');
  };
  setHandler(pauseSignal, ({ by, note }) => {
    const queued = state.queued;
    pause(state, by, note, nowIso());
    pauseDropped(queued);
    scheduleStale = true;
    if (holdsScheduledRuns()) void writeAskJob(true);
  });
  setHandler(reactivateSignal, () => {
    reactivate(state);
    scheduleStale = true;
  });
  setHandler(definitionChangedSignal, (def) => {
    applySettings(state, def.settings);
    stopWatch(); // restarted below with the new definition, if it still wants one
    if (def.name !== name) upsertMemo({ jobName: def.name });
    name = def.name;
    scheduleStale = true;
  });
  setHandler(deleteSignal, () => {
    state.deleted = true;
  });
  // A person's requests, through the API. The validators apply the rules, so a refused or
  // expired request never enters history; the handlers answer with what the workflow decided.
  // (Handlers only: a history recorded before them has no update, so replays the same commands.)
  const refuseIf = (reason: string | undefined, expiresAt: string) => {
    if (Date.now() > Date.parse(expiresAt)) {
      throw ApplicationFailure.create({ type: REQUEST_EXPIRED, message: `The request expired at ${expiresAt} before a worker took it.`, nonRetryable: true });
    }
    if (reason) throw ApplicationFailure.create({ type: REQUEST_REFUSED, message: reason, nonRetryable: true });
  };
  const runRequestOf = (r: RunNowRequest): RunRequest => ({ trigger: r.trigger, requestedBy: r.requestedBy });
  setHandler(runNowUpdate, (r) => {
    const decision = requestRun(state, runRequestOf(r));
    // The validator refused this already, in the same activation and on the same state.
    if (decision.result === 'refused') throw ApplicationFailure.create({ type: REQUEST_REFUSED, message: decision.reason, nonRetryable: true });
    // A run its Schedule started may be in progress, unknown to the job until it ends: then the request waits behind it.
    if (decision.result === 'started' && holdsScheduledRuns()) {
      return findOpenRun({ domain: input.domain, jobId: input.jobId }).then((open) =>
        ({ result: open && open.number > lastEndHeard && !isJobsOwnRun(open) ? 'queued' as const : 'started' as const }));
    }
    return { result: decision.result };
  }, { validator: (r) => refuseIf(runRefusal(state, runRequestOf(r)), r.expiresAt) });
  setHandler(pauseUpdate, ({ by, note }) => {
    const queued = state.queued;
    const result = requestPause(state, by, note, nowIso());
    pauseDropped(queued);
    if (result === 'paused') scheduleStale = true;
    if (result === 'paused' && holdsScheduledRuns()) return answerOnceHeld().then(() => ({ result }));
    return { result };
  }, { validator: (r) => refuseIf(controlRefusal(state), r.expiresAt) });
  setHandler(reactivateUpdate, () => {
    const result = requestReactivate(state);
    if (result === 'reactivated') scheduleStale = true;
    return { result };
  }, { validator: (r) => refuseIf(controlRefusal(state), r.expiresAt) });
  setHandler(runPhaseSignal, ({ runNumber, phase }) => markPhase(state, runNumber, phase));
  // A run the Schedule started has ended: recorded as the job's own runs are, and what follows decided.
  setHandler(runEndedSignal, ({ workflowId: _, ...run }) => {
    state.runCounter = Math.max(state.runCounter, run.number);
    lastEndHeard = Math.max(lastEndHeard, run.number);
    const after = markRunFinished(state, run, nowIso());
    // Its record's end told scheduled runs to ask the job (activities/runRecords.ts).
    if (run.outcome === 'failed' || run.outcome === 'halted') askJobWritten = true;
    if (after.haltJob) log.warn('Job halted after its retries', { reason: after.haltJob });
    notify(run.number, noticeAfterRun(after), { trigger: run.trigger }, run.attempt);
    if (after.haltJob) scheduleStale = true;
    else runEnded = true;
  });
  setHandler(statusQuery, () => ({ ...state, status: jobStatus(state), refusals }));

  let lean: boolean | undefined;
  const isLean = () => (lean ??= patched(LEAN_JOB_PATCH));
  let lastPublishedStatus: string | undefined;
  const publishStatus = () => {
    const status = isLean() ? jobStatus({ ...state, currentRun: undefined }) : jobStatus(state);
    if (status === lastPublishedStatus) return;
    lastPublishedStatus = status;
    upsertSearchAttributes([{ key: JobStatusKey, value: status }]);
  };

  /** The end of a run workflow that ended abnormally: its record is closed as failed, and says what happened. */
  const closeAbnormalRun = async (err: unknown, runNumber: number): Promise<RunResult> => {
    // A job workflow being canceled, and histories from before the patch, take the old path (in the loop).
    if (isCancellation(err) || !patched(CLOSE_ABNORMAL_RUN_PATCH)) throw err;
    log.error('Run workflow ended abnormally', { runNumber, error: String(err) });
    const failed = { outcome: 'failed' as const, reason: ABNORMAL_END };
    return recordRunEnd({ domain: input.domain, jobId: input.jobId, runNumber, ...failed }).catch((e) => {
      log.warn('Run record not closed', { runNumber, error: String(e) });
      return { ...failed, counters: emptyCounters() };
    });
  };

  /**
   * The slot for a run the job starts: its number, or undefined when a run its Schedule started
   * holds it (the request waits, as behind any run, for the end that run signals).
   */
  const takeSlot = async (request: RunRequest, attempt: number): Promise<number | undefined> => {
    claiming = true;
    try {
      const claim = await takeRunSlot({ domain: input.domain, jobId: input.jobId, trigger: request.trigger, attempt, scheduledAt: request.scheduledAt, after: state.runCounter });
      if ('number' in claim) return claim.number;
      // Its end may have been heard while the slot was asked for: then look again at once.
      if (claim.heldBy.number > lastEndHeard) state.currentRun = { ...claim.heldBy };
      else runEnded = true;
      return undefined;
    } catch (err) {
      // Only a job gone from the database gets here: its delete is on the way.
      log.warn('Run not started: the job has no record', { error: String(err) });
      state.queued = undefined;
      return undefined;
    } finally {
      claiming = false;
    }
  };

  const runOnce = async (request: RunRequest, attempt: number): Promise<void> => {
    const number = slotted() ? await takeSlot(request, attempt) : state.runCounter + 1;
    if (number === undefined) return;
    const workflowId = runWorkflowId(input.domain, input.jobId, number);
    markRunStarted(state, { number, workflowId, trigger: request.trigger, attempt, startedAt: nowIso() });
    publishStatus();
    notify(number, noticeAtStart(request.trigger), request, attempt);
    const result: RunResult = await executeChild(runWorkflow, {
      workflowId,
      args: [{
        domain: input.domain,
        jobId: input.jobId,
        runNumber: number,
        trigger: request.trigger,
        attempt,
        scheduledAt: request.scheduledAt,
        direction: input.direction,
        taskType: input.taskType,
        where: state.settings.where,
        jobWorkflowId: workflowInfo().workflowId,
      }],
      staticSummary: `Run ${number} of ${name} (${request.trigger}${attempt > 1 ? `, attempt ${attempt}` : ''})`,
      staticDetails: `${input.direction} ${input.taskType}${state.settings.where ? ` ${input.direction === 'import' ? 'from' : 'to'} ${state.settings.where}` : ''}; ${state.settings.mode} job ${input.domain}/${input.jobId}`,
      memo: { jobName: name, trigger: request.trigger, attempt },
      typedSearchAttributes: [
        { key: DomainKey, value: input.domain },
        { key: JobIdKey, value: input.jobId },
        { key: JobModeKey, value: state.settings.mode },
        { key: TaskTypeKey, value: input.taskType },
        { key: RunStatusKey, value: 'queued' },
      ],
    }).catch((err) => closeAbnormalRun(err, number));
    const startedAt = state.currentRun?.startedAt ?? nowIso();
    const after = markRunFinished(state, {
      number, trigger: request.trigger, attempt, outcome: result.outcome, reason: result.reason,
      counters: result.counters, startedAt, endedAt: nowIso(),
    }, nowIso());
    if (after.haltJob) log.warn('Job halted after its retries', { reason: after.haltJob });
    notify(number, noticeAfterRun(after), request, attempt);
    if (after.haltJob || !patched(SCHEDULE_SYNC_ON_CHANGE_PATCH)) scheduleStale = true;
    else runEnded = true;
  };

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const shouldContinueAsNew = () =>
    !state.currentRun && !claiming && (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit);

  let running: Promise<void> | undefined;
  for (;;) {
    publishStatus();
    syncWatch();
    // For operators in Temporal Web: the job and its state in words, and what its timer waits for.
    // The job first: its static summary and details are gone after a continue-as-new (jobWords.ts).
    setCurrentDetails(`${jobInWords({ ...input, name }, state.settings)}\n\n${jobStatusInWords(state)}`);
    slotted();
    if (askJobOutOfStep()) void writeAskJob(askJobWanted());
    const wake = () => state.deleted || scheduleStale || runEnded || (!state.currentRun && !claiming && !!nextRunToStart(state, nowIso())) || shouldContinueAsNew() || watchOutOfStep() || askJobOutOfStep();
    const retryIn = msUntilRetry(state, nowIso());
    if (state.currentRun && slot && !isJobsOwnRun(state.currentRun)) {
      // Behind a run its Schedule started, which says when it ends; one an operator terminated
      // never does, so the slot is asked again now and then (a holder gone is closed then).
      if (!(await condition(wake, HOLDER_CHECK_INTERVAL, { summary: `wait for run ${state.currentRun.number}, started by the schedule` }))) {
        state.currentRun = undefined;
      }
    } else if (retryIn === undefined && isLean()) await condition(wake);
    else await condition(wake, retryIn ?? '365 days', { summary: timerSummary(state) });
    if (state.deleted) break;
    runEnded = false;
    if (scheduleStale && state.settings.hasSchedule) {
      scheduleStale = false;
      const paused = state.halted ? `Halted: ${state.halted.reason}` : state.paused ? `Paused by ${state.paused.by}${state.paused.note ? `: ${state.paused.note}` : ''}` : undefined;
      const { nextRunAt } = await syncSchedule({ domain: input.domain, jobId: input.jobId, pausedNote: paused });
      state.nextRunAt = nextRunAt;
    } else {
      scheduleStale = false;
      if (!state.settings.hasSchedule) state.nextRunAt = undefined;
    }
    const next = state.currentRun || claiming ? undefined : nextRunToStart(state, nowIso());
    if (next) {
      running = runOnce(next.request, next.attempt);
      // A failed child never ends the job: it is recorded as a failed run.
      running = running.catch((err) => {
        log.error('Run workflow ended abnormally', { error: String(err) });
        markRunFinished(state, {
          number: state.runCounter, trigger: next.request.trigger, attempt: next.attempt, outcome: 'failed',
          reason: ABNORMAL_END, startedAt: nowIso(), endedAt: nowIso(),
        }, nowIso());
        if (patched(SCHEDULE_SYNC_ON_CHANGE_PATCH)) runEnded = true;
      });
      continue;
    }
    if (shouldContinueAsNew()) {
      stopWatch();
      await Promise.all([...pendingNotices, askJobWrites]);
      await condition(allHandlersFinished);
      await continueAsNew<typeof jobWorkflow>({ ...input, name, settings: state.settings, state, refusals });
    }
  }

  // Deleted: a run in progress is canceled and allowed to record that it was.
  stopWatch();
  if (state.currentRun) {
    await getExternalWorkflowHandle(state.currentRun.workflowId).cancel();
    await running;
  }
  await Promise.all(pendingNotices);
}
