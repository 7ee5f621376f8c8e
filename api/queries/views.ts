import type { Job, Run } from '../../db/entities';
import { redactUrl } from '../../domain/urlCredentials';
import { pickCounters, reportedCounters } from '../../domain/runStatus';
import type { Direction } from '../../domain/jobDefinition';
import type { JobView } from '../../contracts/messages';
import { importProgress } from '../../domain/importProgress';
import type { OpenRun } from '../../io/runSlot';
import { LAST_RUNS_KEPT, type RunSummary } from '../../domain/jobLifecycle';

export { redactUrl };

/**
 * What the API shows of a job: its definition (never a credential) and its live state.
 * `now` overrides what the job workflow does not keep current: the phase of the run in
 * progress (the run record has it) and the next run time (the Schedule has it).
 * `ended` is the run records' last ended runs, newest first: the job workflow does not hear of
 * every run its Schedule started. A run the job still shows as current stays current here
 * until it has taken in its end, so the last runs and the job's state (a rerun due, a halt)
 * change together.
 */
export function jobView(job: Job, live: JobView | undefined, now: { phase?: string | null; nextRunAt?: string | null } = {}, ended: RunSummary[] = []) {
  const currentRun = live?.currentRun ? { ...live.currentRun, phase: now.phase ?? live.currentRun.phase } : null;
  const lastRuns = ended.filter((r) => r.number !== currentRun?.number).slice(0, LAST_RUNS_KEPT);
  return {
    id: job.identifier,
    domain: job.domain,
    name: job.name,
    description: job.description,
    taskType: job.taskType,
    direction: job.direction,
    mode: job.mode,
    rules: job.rules,
    sourceUrl: redactUrl(job.sourceUrl),
    destinationUrl: redactUrl(job.destinationUrl),
    scheduling: job.scheduling,
    timezone: job.timezone,
    active: job.active,
    recipients: job.recipients,
    sendReport: job.sendReport,
    status: live?.status ?? 'unknown',
    samplingProblems: job.samplingProblems ?? [],
    currentRun,
    queuedRun: live?.queued ?? null,
    retry: live?.retry ?? null,
    paused: live?.paused ?? null,
    halted: live?.halted ?? null,
    lastRuns: lastRuns.map((r) => (r.counters ? { ...r, counters: reportedCounters(job.direction, r.counters) } : r)),
    lastRunAt: lastRuns[0]?.endedAt ?? null,
    lastOutcome: lastRuns[0]?.outcome ?? null,
    nextRunAt: now.nextRunAt !== undefined ? now.nextRunAt : (live?.nextRunAt ?? null),
    refusals: live?.refusals ?? [],
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

/**
 * The live state with the run in progress as its record has it: a run its Schedule started is
 * known to the job workflow only when it ends (workflows/scheduledJobRunWorkflow.ts).
 */
export function withOpenRun(live: JobView | undefined, open: OpenRun | null): JobView | undefined {
  if (!live || !open || live.currentRun || live.settings.setupStatus !== 'ready') return live;
  return { ...live, currentRun: { ...open }, status: 'running' };
}

/** The phases an import's progress is shown in: reading, then the steps that work on what it read. */
const IMPORT_RUNNING = new Set(['validating', 'processing', 'importing']);

/** A run as the API shows it; `direction` names its counters (an export's are extracted and delivered). */
export function runView(run: Run, direction: Direction) {
  const progress = direction === 'import' && !run.endedAt && IMPORT_RUNNING.has(run.status)
    ? importProgress(run.status, run.stageCheckpoint, run.read) : null;
  return {
    number: run.number,
    workflowId: run.workflowId,
    trigger: run.trigger,
    attempt: run.attempt,
    status: run.status,
    counters: reportedCounters(direction, pickCounters(run)),
    warningsByKind: run.warningsByKind,
    failedPct: run.failedPct,
    reason: run.reason ?? null,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? null,
    progress,
  };
}
