import assert from 'node:assert/strict';
import { initialJobState, markRunFinished, markRunStarted, noticeAfterRun, noticeAtStart, type JobState, type RunSummary } from '../../domain/jobLifecycle';

/** Report emails do not cry wolf: nothing per retry, one alert, one recovery. */
describe('report email rules', () => {
  const t0 = '2026-11-22T00:00:00.000Z';
  const fresh = (): JobState =>
    initialJobState({ mode: 'batch', setupStatus: 'ready', hasSchedule: false, active: true, retryLimit: 2, retryIntervalMs: 1_000, sendReport: true });
  /** Starts run `number` as the job workflow would (a pending retry makes it a retry) and finishes it. */
  const finish = (s: JobState, number: number, outcome: RunSummary['outcome']) => {
    const trigger = s.retry ? 'retry' : 'manual';
    markRunStarted(s, { number, workflowId: `run-${number}`, trigger, attempt: 1, startedAt: t0 });
    return noticeAfterRun(markRunFinished(s, { number, trigger, attempt: 1, outcome, startedAt: t0, endedAt: t0 }, t0));
  };

  it('reports a good run as ended', () => {
    assert.equal(finish(fresh(), 1, 'completed'), 'ended');
    assert.equal(finish(fresh(), 1, 'partially_completed'), 'ended');
  });

  it('stays quiet while retrying, alerts once when retries are used up, then announces the recovery once', () => {
    const s = fresh();
    assert.deepEqual([finish(s, 1, 'failed'), finish(s, 2, 'failed'), finish(s, 3, 'failed')], [undefined, undefined, 'needs_attention']);
    assert.equal(finish(s, 4, 'completed'), 'recovered');
    assert.equal(finish(s, 5, 'completed'), 'ended');
  });

  it('alerts when a job halts after its retries', () => {
    const s = fresh();
    assert.deepEqual([finish(s, 1, 'halted'), finish(s, 2, 'halted'), finish(s, 3, 'halted')], [undefined, undefined, 'needs_attention']);
    assert.ok(s.halted);
  });

  it('announces the start of first attempts only', () => {
    assert.equal(noticeAtStart('manual'), 'started');
    assert.equal(noticeAtStart('schedule'), 'started');
    assert.equal(noticeAtStart('retry'), undefined);
  });
});
