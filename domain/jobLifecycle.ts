import type { JobMode, RunTrigger, SetupStatus } from './jobDefinition';
import type { RunCounters, RunOutcome, RunPhase } from './runStatus';

/**
 * The live state of one job and the rules that change it. The job workflow owns one of
 * these; it is plain JSON so it crosses continue-as-new unchanged, and it does no I/O so
 * the rules are unit-tested without Temporal. Times are ISO strings passed in by the
 * caller (the workflow's deterministic clock).
 */

export const JOB_STATUSES = [
  'draft', 'sampling', 'sampling_failed', 'unscheduled', 'scheduled', 'running', 'paused', 'halted', 'completed',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface RunRequest {
  trigger: RunTrigger;
  requestedBy?: string;
  /** For schedule triggers: when the schedule meant the run to start. */
  scheduledAt?: string;
}

export interface RunSummary {
  number: number;
  trigger: RunTrigger;
  attempt: number;
  outcome: RunOutcome;
  reason?: string;
  counters?: RunCounters;
  startedAt: string;
  endedAt: string;
}

export interface CurrentRun {
  number: number;
  workflowId: string;
  trigger: RunTrigger;
  attempt: number;
  phase?: RunPhase;
  startedAt: string;
}

export interface RetryState {
  kind: 'failed' | 'halted';
  /** Retries already started for this failure. */
  retriesDone: number;
  dueAt: string;
}

export interface JobSettings {
  mode: JobMode;
  setupStatus: SetupStatus;
  /** True when a Temporal Schedule will start runs (batch or realtime with a timing). */
  hasSchedule: boolean;
  /** On-demand jobs keep their active flag on the job (seed 000). */
  active: boolean;
  retryLimit: number;
  retryIntervalMs: number;
  /** Report emails to the job's recipients (absent in workflows started before they existed). */
  sendReport?: boolean;
  /** Where the job reads or delivers, in words (a file name, "ftp host x"; never a credential): for Temporal Web. */
  where?: string;
}

export interface JobState {
  settings: JobSettings;
  runCounter: number;
  currentRun?: CurrentRun;
  /** At most one run waiting behind the current one: a run-now during a run is queued once. */
  queued?: RunRequest;
  retry?: RetryState;
  paused?: { by: string; note?: string; at: string };
  halted?: { reason: string; at: string };
  lastRuns: RunSummary[];
  nextRunAt?: string;
  deleted: boolean;
  /** Set once a failing job has alerted its recipients; cleared (with a recovery notice) by the next good run. */
  needsAttention?: boolean;
}

export const LAST_RUNS_KEPT = 5;

export function initialJobState(settings: JobSettings): JobState {
  return { settings, runCounter: 0, lastRuns: [], deleted: false };
}

/** The one status the job list shows. */
export function jobStatus(s: JobState): JobStatus {
  if (s.settings.setupStatus !== 'ready') return s.settings.setupStatus;
  if (s.currentRun) return 'running';
  if (s.halted) return 'halted';
  if (s.paused) return 'paused';
  if (s.settings.mode !== 'on-demand' && s.settings.hasSchedule) return 'scheduled';
  return 'unscheduled';
}

/** Why a run request cannot run now, or undefined if it may (now or after the current run). */
export function runRefusal(s: JobState, req: RunRequest): string | undefined {
  if (s.deleted) return 'The job has been deleted.';
  if (s.settings.setupStatus !== 'ready') return `The job is not ready to run (it is ${s.settings.setupStatus.replace('_', ' ')}).`;
  if (s.halted) return `The job is halted (${s.halted.reason}); reactivate it first.`;
  if (s.paused) return 'The job is paused; reactivate it first.';
  if (req.trigger === 'manual' && s.settings.mode === 'realtime') return 'A realtime job runs only on its schedule; it cannot be run manually.';
  if (req.trigger === 'manual' && s.settings.mode === 'on-demand') return 'An on-demand job runs when an event arrives; send it an event instead.';
  if (req.trigger === 'event' && s.settings.mode !== 'on-demand') return 'Only on-demand jobs run on events.';
  if (req.trigger === 'event' && !s.settings.active) return 'The on-demand job is not active.';
  return undefined;
}

export type RequestResult = { result: 'started' | 'queued' | 'already_queued' } | { result: 'refused'; reason: string };

/**
 * Accepts a run request into the state: it either waits for the workflow to start it,
 * joins the queue behind the current run (once), or is refused.
 */
export function requestRun(s: JobState, req: RunRequest): RequestResult {
  const reason = runRefusal(s, req);
  if (reason) return { result: 'refused', reason };
  if (s.queued) return { result: 'already_queued' };
  s.queued = req;
  return { result: s.currentRun ? 'queued' : 'started' };
}

/** What the workflow should start next, if anything, at time `now`. */
export function nextRunToStart(s: JobState, now: string): { request: RunRequest; attempt: number } | undefined {
  if (s.deleted || s.currentRun || s.paused || s.halted) return undefined;
  if (s.queued) return { request: s.queued, attempt: 1 };
  if (s.retry && s.retry.dueAt <= now) return { request: { trigger: 'retry' }, attempt: s.retry.retriesDone + 2 };
  return undefined;
}

export function markRunStarted(s: JobState, run: Omit<CurrentRun, 'phase'>): void {
  s.currentRun = { ...run };
  s.runCounter = Math.max(s.runCounter, run.number);
  if (run.trigger === 'retry' && s.retry) s.retry.retriesDone += 1;
  s.queued = undefined;
}

export function markPhase(s: JobState, runNumber: number, phase: RunPhase): void {
  if (s.currentRun?.number === runNumber) s.currentRun.phase = phase;
}

export type AfterRun = { haltJob?: string; scheduleRetryAt?: string; recovered?: boolean; retriesExhausted?: boolean };

/**
 * Records a finished run and applies the retry rules (PRODUCT.md, Statuses): a failed or
 * halted run is rerun up to retryLimit times, retryIntervalMs apart; a run that still
 * halts after that halts the job; one that still fails leaves the job on its schedule.
 */
export function markRunFinished(s: JobState, summary: RunSummary, now: string): AfterRun {
  s.currentRun = undefined;
  s.lastRuns = [summary, ...s.lastRuns].slice(0, LAST_RUNS_KEPT);
  const { outcome } = summary;
  if (outcome !== 'failed' && outcome !== 'halted') {
    const recovered = !!s.retry || !!s.needsAttention;
    s.retry = undefined;
    s.needsAttention = undefined;
    return { recovered };
  }
  const retriesDone = s.retry?.kind === outcome ? s.retry.retriesDone : 0;
  if (retriesDone < s.settings.retryLimit) {
    const dueAt = new Date(Date.parse(now) + s.settings.retryIntervalMs).toISOString();
    s.retry = { kind: outcome, retriesDone, dueAt };
    return { scheduleRetryAt: dueAt };
  }
  s.retry = undefined;
  s.needsAttention = true;
  if (outcome === 'halted') {
    const reason = summary.reason ?? 'the run halted';
    s.halted = { reason, at: now };
    return { haltJob: reason, retriesExhausted: true };
  }
  return { retriesExhausted: true };
}

export function pause(s: JobState, by: string, note: string | undefined, now: string): void {
  s.paused = { by, note, at: now };
  // A request waiting behind the current run was meant for the job as it was: a paused job does not run it later.
  s.queued = undefined;
}

/** Clears a pause and a halt; the job goes back to its schedule with a clean retry slate. */
export function reactivate(s: JobState): void {
  s.paused = undefined;
  s.halted = undefined;
  s.retry = undefined;
}

/** Why a person's pause or reactivation cannot be applied, or undefined if it can. */
export function controlRefusal(s: JobState): string | undefined {
  return s.deleted ? 'The job has been deleted.' : undefined;
}

/** A person's pause: a job already paused keeps who paused it and why. */
export function requestPause(s: JobState, by: string, note: string | undefined, now: string): 'paused' | 'already_paused' {
  if (s.paused) return 'already_paused';
  pause(s, by, note, now);
  return 'paused';
}

/** A person's reactivation: a job neither paused nor halted is left as it is (a pending retry stays). */
export function requestReactivate(s: JobState): 'reactivated' | 'not_paused' {
  if (!s.paused && !s.halted) return 'not_paused';
  reactivate(s);
  return 'reactivated';
}

export function applySettings(s: JobState, settings: JobSettings): void {
  s.settings = settings;
  // A job that is no longer ready cannot keep a request waiting to run.
  if (settings.setupStatus !== 'ready') s.queued = undefined;
}

export type RunNotice = 'started' | 'ended' | 'needs_attention' | 'recovered';

/**
 * The report email a finished run sends, if any. A failing job does not cry wolf: nothing
 * while it is being retried, one alert when its retries are used up or it halts, one notice
 * when it recovers.
 */
export function noticeAfterRun(after: AfterRun): Exclude<RunNotice, 'started'> | undefined {
  if (after.scheduleRetryAt) return undefined;
  if (after.recovered) return 'recovered';
  if (after.retriesExhausted) return 'needs_attention';
  return 'ended';
}

/** Retries run quietly: only the first attempt of a run says it started. */
export const noticeAtStart = (trigger: RunRequest['trigger']): 'started' | undefined => (trigger === 'retry' ? undefined : 'started');

/** Milliseconds until a pending retry is due, for the workflow's timer. */
export function msUntilRetry(s: JobState, now: string): number | undefined {
  if (!s.retry || s.paused || s.halted) return undefined;
  return Math.max(0, Date.parse(s.retry.dueAt) - Date.parse(now));
}
