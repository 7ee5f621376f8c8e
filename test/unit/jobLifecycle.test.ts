import assert from 'node:assert/strict';
import {
  applySettings, controlRefusal, initialJobState, jobStatus, markRunFinished, markRunStarted, msUntilRetry, nextRunToStart, pause, reactivate,
  requestPause, requestReactivate, requestRun, runRefusal, type JobSettings, type JobState, type RunSummary,
} from '../../domain/jobLifecycle';
import type { RunTrigger } from '../../domain/jobDefinition';
import type { RunOutcome } from '../../domain/runStatus';

const T0 = '2026-01-05T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

const settings = (over: Partial<JobSettings> = {}): JobSettings => ({
  mode: 'batch', setupStatus: 'ready', hasSchedule: true, active: true, retryLimit: 2, retryIntervalMs: 1_000, ...over,
});

/** Starts whatever the rules say is next, as the job workflow does, and returns its trigger and attempt. */
function startNext(s: JobState, now: string) {
  const next = nextRunToStart(s, now);
  if (!next) return undefined;
  const number = s.runCounter + 1;
  markRunStarted(s, { number, workflowId: `run-${number}`, trigger: next.request.trigger, attempt: next.attempt, startedAt: now });
  return { trigger: next.request.trigger, attempt: next.attempt, number };
}

function finish(s: JobState, outcome: RunOutcome, now: string, reason?: string) {
  const run = s.currentRun!;
  const summary: RunSummary = { number: run.number, trigger: run.trigger, attempt: run.attempt, outcome, reason, startedAt: run.startedAt, endedAt: now };
  return markRunFinished(s, summary, now);
}

describe('job lifecycle rules', () => {
  describe('status', () => {
    it('follows setup, schedule, run, pause and halt', () => {
      assert.equal(jobStatus(initialJobState(settings({ setupStatus: 'draft' }))), 'draft');
      assert.equal(jobStatus(initialJobState(settings({ setupStatus: 'sampling_failed' }))), 'sampling_failed');
      assert.equal(jobStatus(initialJobState(settings({ hasSchedule: false }))), 'unscheduled');
      assert.equal(jobStatus(initialJobState(settings({ mode: 'on-demand', hasSchedule: true }))), 'unscheduled');
      const s = initialJobState(settings());
      assert.equal(jobStatus(s), 'scheduled');
      requestRun(s, { trigger: 'manual' });
      startNext(s, T0);
      assert.equal(jobStatus(s), 'running');
      pause(s, 'ann', 'holiday', T0);
      assert.equal(jobStatus(s), 'running', 'a run in progress finishes');
      finish(s, 'completed', at(1));
      assert.equal(jobStatus(s), 'paused');
      reactivate(s);
      assert.equal(jobStatus(s), 'scheduled');
    });
  });

  describe('refusals', () => {
    const cases: [Partial<JobSettings>, RunTrigger, RegExp | undefined][] = [
      [{ mode: 'batch' }, 'manual', undefined],
      [{ mode: 'batch' }, 'schedule', undefined],
      [{ mode: 'realtime' }, 'manual', /realtime job runs only on its schedule/],
      [{ mode: 'realtime' }, 'schedule', undefined],
      [{ mode: 'on-demand', hasSchedule: false }, 'manual', /on-demand job runs when an event arrives/],
      [{ mode: 'on-demand', hasSchedule: false }, 'event', undefined],
      [{ mode: 'on-demand', hasSchedule: false, active: false }, 'event', /not active/],
      [{ mode: 'batch' }, 'event', /Only on-demand jobs/],
      [{ setupStatus: 'sampling' }, 'manual', /not ready to run \(it is sampling\)/],
    ];
    for (const [over, trigger, expected] of cases) {
      it(`${over.mode ?? 'batch'}${over.active === false ? ' (inactive)' : ''}${over.setupStatus ? ` (${over.setupStatus})` : ''}: ${trigger} is ${expected ? 'refused' : 'allowed'}`, () => {
        const reason = runRefusal(initialJobState(settings(over)), { trigger });
        if (expected) assert.match(reason ?? '', expected);
        else assert.equal(reason, undefined);
      });
    }

    it('refuses every trigger while paused or halted, and after delete', () => {
      const s = initialJobState(settings());
      pause(s, 'ann', undefined, T0);
      assert.match(runRefusal(s, { trigger: 'schedule' })!, /paused/);
      reactivate(s);
      s.halted = { reason: 'Limit reached', at: T0 };
      assert.match(runRefusal(s, { trigger: 'manual' })!, /halted \(Limit reached\)/);
      s.halted = undefined;
      s.deleted = true;
      assert.match(runRefusal(s, { trigger: 'manual' })!, /deleted/);
    });
  });

  describe('queue', () => {
    it('queues a run-now during a run once, never twice', () => {
      const s = initialJobState(settings());
      assert.deepEqual(requestRun(s, { trigger: 'manual' }), { result: 'started' });
      startNext(s, T0);
      assert.deepEqual(requestRun(s, { trigger: 'manual' }), { result: 'queued' });
      assert.deepEqual(requestRun(s, { trigger: 'manual' }), { result: 'already_queued' });
      assert.deepEqual(requestRun(s, { trigger: 'schedule' }), { result: 'already_queued' });
      assert.equal(nextRunToStart(s, T0), undefined, 'never two runs at once');
      finish(s, 'completed', at(1));
      assert.deepEqual(startNext(s, at(1)), { trigger: 'manual', attempt: 1, number: 2 });
      finish(s, 'completed', at(2));
      assert.equal(nextRunToStart(s, at(2)), undefined);
    });

    it('drops the queued request when the job is paused', () => {
      const s = initialJobState(settings());
      requestRun(s, { trigger: 'manual' });
      startNext(s, T0);
      requestRun(s, { trigger: 'manual' });
      pause(s, 'ann', undefined, T0);
      finish(s, 'completed', at(1));
      reactivate(s);
      assert.equal(nextRunToStart(s, at(2)), undefined);
    });

    it('forgets a queued request when the job is no longer ready', () => {
      const s = initialJobState(settings());
      requestRun(s, { trigger: 'manual' });
      applySettings(s, settings({ setupStatus: 'sampling' }));
      assert.equal(s.queued, undefined);
    });

    it('keeps only the last five runs, newest first', () => {
      const s = initialJobState(settings());
      for (let i = 0; i < 7; i++) {
        requestRun(s, { trigger: 'manual' });
        startNext(s, at(i));
        finish(s, 'completed', at(i));
      }
      assert.deepEqual(s.lastRuns.map((r) => r.number), [7, 6, 5, 4, 3]);
      assert.equal(s.runCounter, 7);
    });
  });

  describe('retries', () => {
    it('reruns a failed run retryLimit times, then carries on with its schedule', () => {
      const s = initialJobState(settings({ retryLimit: 2, retryIntervalMs: 1_000 }));
      requestRun(s, { trigger: 'schedule' });
      assert.deepEqual(startNext(s, T0), { trigger: 'schedule', attempt: 1, number: 1 });
      assert.deepEqual(finish(s, 'failed', at(10), 'source missing'), { scheduleRetryAt: at(1_010) });
      assert.equal(nextRunToStart(s, at(500)), undefined, 'not before the interval');
      assert.equal(msUntilRetry(s, at(510)), 500);
      assert.deepEqual(startNext(s, at(1_010)), { trigger: 'retry', attempt: 2, number: 2 });
      assert.deepEqual(finish(s, 'failed', at(1_020)), { scheduleRetryAt: at(2_020) });
      assert.deepEqual(startNext(s, at(2_020)), { trigger: 'retry', attempt: 3, number: 3 });
      assert.deepEqual(finish(s, 'failed', at(2_030)), { retriesExhausted: true });
      assert.equal(s.retry, undefined);
      assert.equal(nextRunToStart(s, at(10_000)), undefined);
      assert.equal(jobStatus(s), 'scheduled');
    });

    it('halts the job when a halted run still halts after its retries', () => {
      const s = initialJobState(settings({ retryLimit: 2 }));
      requestRun(s, { trigger: 'manual' });
      startNext(s, T0);
      finish(s, 'halted', at(1), 'header mismatch');
      startNext(s, at(1_001));
      finish(s, 'halted', at(1_002), 'header mismatch');
      assert.deepEqual(startNext(s, at(2_002)), { trigger: 'retry', attempt: 3, number: 3 });
      assert.deepEqual(finish(s, 'halted', at(2_003), 'header mismatch'), { haltJob: 'header mismatch', retriesExhausted: true });
      assert.equal(jobStatus(s), 'halted');
      assert.match(runRefusal(s, { trigger: 'schedule' })!, /halted/);
      reactivate(s);
      assert.equal(jobStatus(s), 'scheduled');
      assert.equal(runRefusal(s, { trigger: 'manual' }), undefined);
    });

    it('stops retrying once a rerun succeeds, and starts counting afresh for a different failure', () => {
      const s = initialJobState(settings({ retryLimit: 2 }));
      requestRun(s, { trigger: 'manual' });
      startNext(s, T0);
      finish(s, 'failed', at(1));
      startNext(s, at(1_001));
      assert.deepEqual(finish(s, 'completed', at(1_002)), { recovered: true });
      assert.equal(s.retry, undefined);
      requestRun(s, { trigger: 'manual' });
      startNext(s, at(2_000));
      finish(s, 'failed', at(2_001));
      startNext(s, at(3_001));
      // A halt after a failure is a new problem: it gets its own retries.
      assert.deepEqual(finish(s, 'halted', at(3_002), 'limit'), { scheduleRetryAt: at(4_002) });
      assert.equal((s.retry as JobState['retry'])?.retriesDone, 0);
    });

    it('with no retries, a halted run halts the job at once', () => {
      const s = initialJobState(settings({ retryLimit: 0 }));
      requestRun(s, { trigger: 'manual' });
      startNext(s, T0);
      assert.deepEqual(finish(s, 'halted', at(1), 'Limit reached'), { haltJob: 'Limit reached', retriesExhausted: true });
    });

    it('does not run a pending retry while paused, and reactivating clears it', () => {
      const s = initialJobState(settings());
      requestRun(s, { trigger: 'manual' });
      startNext(s, T0);
      finish(s, 'failed', at(1));
      pause(s, 'ann', undefined, at(2));
      assert.equal(nextRunToStart(s, at(5_000)), undefined);
      assert.equal(msUntilRetry(s, at(5_000)), undefined);
      reactivate(s);
      assert.equal(nextRunToStart(s, at(5_000)), undefined);
    });
  });

  describe("a person's pause and reactivation (the API's updates)", () => {
    it('pauses once: a second pause answers already_paused and keeps who paused it and why', () => {
      const s = initialJobState(settings());
      assert.equal(requestPause(s, 'ann', 'term break', T0), 'paused');
      assert.equal(requestPause(s, 'bob', 'other', at(1)), 'already_paused');
      assert.deepEqual(s.paused, { by: 'ann', note: 'term break', at: T0 });
    });

    it('reactivates a paused or halted job; one neither paused nor halted keeps its pending retry', () => {
      const s = initialJobState(settings());
      requestRun(s, { trigger: 'manual' });
      startNext(s, T0);
      finish(s, 'failed', at(1));
      assert.equal(requestReactivate(s), 'not_paused');
      assert.ok(s.retry, 'the retry is still due');
      requestPause(s, 'ann', undefined, at(2));
      assert.equal(requestReactivate(s), 'reactivated');
      assert.equal(s.paused, undefined);
      assert.equal(s.retry, undefined);
      s.halted = { reason: 'limit', at: at(3) };
      assert.equal(requestReactivate(s), 'reactivated');
      assert.equal(jobStatus(s), 'scheduled');
    });

    it('refuses both only for a deleted job', () => {
      const s = initialJobState(settings());
      assert.equal(controlRefusal(s), undefined);
      s.deleted = true;
      assert.equal(controlRefusal(s), 'The job has been deleted.');
    });
  });
});
