import type { JobState } from './jobLifecycle';

/**
 * What Temporal Web shows operators about a job in words (README, Operating it): the job
 * workflow's current details and its timer's summary. Ids, modes, times and reasons only:
 * never a credential or a file's content.
 */

/** `2026-12-03 06:00 UTC`: minutes are what people schedule by. */
const at = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

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
  return lines.join('\n');
}

/** The summary of the job workflow's timer: a retry's time, or what it waits for. */
export function timerSummary(s: JobState): string {
  if (s.retry) return `retry ${s.retry.retriesDone + 1} of ${s.settings.retryLimit} at ${at(s.retry.dueAt)} (the last run ${s.retry.kind})`;
  const next = s.settings.hasSchedule && s.nextRunAt ? `; next scheduled run ${at(s.nextRunAt)}` : '';
  const what = s.settings.mode === 'on-demand' ? 'waiting for an event' : 'waiting for the next run request';
  return `${what}${next}`;
}
