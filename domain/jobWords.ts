import type { Direction } from './jobDefinition';
import type { JobSettings, JobState } from './jobLifecycle';

/**
 * What Temporal Web shows operators about a job in words (README, Operating it): the job
 * workflow's current details and its timer's summary. Ids, modes, times and reasons only:
 * never a credential or a file's content.
 */

/** `2026-12-03 06:00 UTC`: minutes are what people schedule by. */
const at = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** A duration in words: `15 min`, `2 h`, `1 h 30 min`, and seconds when not whole minutes (`90 s`). */
export function durationInWords(ms: number): string {
  if (ms % 60_000 !== 0) return `${Math.round(ms / 1000)} s`;
  const min = ms / 60_000;
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

/**
 * The job itself, the first lines of its current details: its summary as the job workflow's
 * static summary gives it, then its configuration. Temporal Web shows a workflow's static summary
 * and details from its first execution only: the server (1.29.1) does not carry them across a
 * continue-as-new, and a long-lived job continues as new every few thousand events. Current
 * details are answered by each execution, so they restate the job. Where it reads or delivers
 * in the same words as run summaries (a file's name, a remote peer's scheme and host).
 */
export function jobInWords(job: { name: string; domain: string; jobId: string; direction: Direction; taskType: string }, s: JobSettings): string {
  const where = s.where ? ` ${job.direction === 'import' ? 'from' : 'to'} ${s.where}` : '';
  const when = s.mode === 'on-demand' ? 'runs on events' : s.hasSchedule ? 'runs on its schedule and on request' : 'runs on request';
  const retries = s.retryLimit > 0 ? `a failed run is retried up to ${s.retryLimit} times, ${durationInWords(s.retryIntervalMs)} apart` : 'a failed run is not retried';
  return `Job ${job.name} (${job.domain}/${job.jobId})\n\n${job.direction} ${job.taskType}${where}; ${s.mode} job, ${when}; ${retries}`;
}

/** What the job is doing or waiting for, e.g. "running run 12 (manual), validating". */
export function jobStatusInWords(s: JobState): string {
  if (s.deleted) return 'deleted: ending';
  if (s.settings.setupStatus !== 'ready') return `not ready to run: ${s.settings.setupStatus.replace('_', ' ')}`;
  const lines: string[] = [];
  if (s.currentRun) {
    const r = s.currentRun;
    lines.push(`running run ${r.number} (${r.trigger}${r.attempt > 1 ? `, attempt ${r.attempt}` : ''})${r.phase ? `, ${r.phase}` : ''} since ${at(r.startedAt)}`);
    if (s.queued) lines.push(`a ${s.queued.trigger} run is queued behind it`);
  }
  if (s.halted) lines.push(`halted at ${at(s.halted.at)}: ${s.halted.reason} (reactivate to resume)`);
  else if (s.paused) lines.push(`paused by ${s.paused.by} at ${at(s.paused.at)}${s.paused.note ? `: ${s.paused.note}` : ''}`);
  if (s.retry && !s.halted && !s.paused) lines.push(timerSummary(s));
  if (!s.currentRun && !s.halted && !s.paused && !s.retry) lines.push(timerSummary(s));
  const last = s.lastRuns[0];
  if (last) lines.push(`last run ${last.number}: ${last.outcome}${last.reason ? ` (${last.reason})` : ''}, ended ${at(last.endedAt)}`);
  // A blank line between lines: Temporal Web renders details as Markdown, where one newline is a space.
  return lines.join('\n\n');
}

/** The summary of the job workflow's timer: a retry's time, or what it waits for. */
export function timerSummary(s: JobState): string {
  if (s.retry) return `retry ${s.retry.retriesDone + 1} of ${s.settings.retryLimit} at ${at(s.retry.dueAt)} (the last run ${s.retry.kind})`;
  const next = s.settings.hasSchedule && s.nextRunAt ? `; next scheduled run ${at(s.nextRunAt)}` : '';
  const what = s.settings.mode === 'on-demand' ? 'waiting for an event' : 'waiting for the next run request';
  return `${what}${next}`;
}
