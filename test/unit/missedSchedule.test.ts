import assert from 'node:assert/strict';
import { alertsFor, lateTick, pauseKindOfNote, reasonOfRefusal, reconcile, type SchedulerView } from '../../domain/missedSchedule';

/** The ledger's rules: how the reconciler classifies a scheduled time that got no run, and what alerts. */
describe('missed-schedule rules', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 6, 0, s));
  const expected = [0, 10, 20, 30, 40, 50].map(at);
  const scheduler = (over: Partial<SchedulerView> = {}): SchedulerView =>
    ({ taken: new Set(), missedCatchupWindowGrowth: 0, overlapSkippedGrowth: 0, since: at(-60), ...over });

  it('leaves alone the times that got a run or an entry, and those past `to`', () => {
    const r = reconcile({ expected, accounted: new Set([0, 10, 20, 30].map((s) => at(s).getTime())), pauses: [], to: at(30) });
    assert.deepEqual(r, { missed: [], needsScheduler: false, checkedUntil: at(30) });
  });

  it("classifies times inside a pause by who paused, without asking Temporal", () => {
    const r = reconcile({
      expected, accounted: new Set([at(0).getTime()]), to: at(50),
      pauses: [
        { kind: 'paused', note: 'Paused by ada: maintenance', pausedAt: at(5), resumedAt: at(25) },
        { kind: 'halted', note: 'Halted: Limit reached', pausedAt: at(35), resumedAt: null },
      ],
    });
    assert.deepEqual(r.missed.map((m) => [m.scheduledAt, m.reason, m.detail]), [
      [at(10).toISOString(), 'paused', 'The job was paused (Paused by ada: maintenance).'],
      [at(20).toISOString(), 'paused', 'The job was paused (Paused by ada: maintenance).'],
      [at(40).toISOString(), 'halted', 'The job was halted (Limit reached).'],
      [at(50).toISOString(), 'halted', 'The job was halted (Limit reached).'],
    ]);
    assert.equal(r.needsScheduler, true, 'the time at :30 is in no pause: the schedule must say');
  });

  it("asks the schedule's view for the rest: a time it took is on its way, and the look stops just before it", () => {
    const r = reconcile({ expected, accounted: new Set(), pauses: [], to: at(50), scheduler: scheduler({ taken: new Set([at(20).getTime(), at(30).getTime()]) }) });
    assert.deepEqual(r.missed.map((m) => [m.scheduledAt, m.reason]), [
      [at(0).toISOString(), 'server_unavailable'], [at(10).toISOString(), 'server_unavailable'],
      [at(40).toISOString(), 'server_unavailable'], [at(50).toISOString(), 'server_unavailable'],
    ]);
    assert.deepEqual(r.checkedUntil, new Date(at(20).getTime() - 1));
  });

  it("names Temporal's catch-up window or overlap skips when their counters grew, and skips times before the schedule's last change", () => {
    const late = reconcile({ expected, accounted: new Set(), pauses: [], to: at(10), scheduler: scheduler({ missedCatchupWindowGrowth: 2 }) });
    assert.deepEqual(late.missed.map((m) => m.reason), ['outside_catchup_window', 'outside_catchup_window']);
    const overlap = reconcile({ expected, accounted: new Set(), pauses: [], to: at(0), scheduler: scheduler({ overlapSkippedGrowth: 1 }) });
    assert.deepEqual(overlap.missed.map((m) => m.reason), ['overlap']);
    const changed = reconcile({ expected, accounted: new Set(), pauses: [], to: at(50), scheduler: scheduler({ since: at(35) }) });
    assert.deepEqual(changed.missed.map((m) => m.scheduledAt), [at(40).toISOString(), at(50).toISOString()]);
  });

  it('a tick later than the catch-up window is missed; one in time is not', () => {
    assert.equal(lateTick(at(0).toISOString(), at(10).getTime(), 10_000), undefined);
    const m = lateTick(at(0).toISOString(), at(25).getTime(), 10_000);
    assert.equal(m?.reason, 'outside_catchup_window');
    assert.equal(m?.detail, 'The request reached a worker 25.0 s after its time, past the 10 s catch-up window (no worker was running meanwhile).');
  });

  it("alerts for every reason but a person's pause; refusals and notes name who", () => {
    assert.equal(alertsFor('paused'), false);
    for (const r of ['merged', 'halted', 'outside_catchup_window', 'server_unavailable', 'overlap', 'refused'] as const) assert.equal(alertsFor(r), true, r);
    assert.equal(reasonOfRefusal({ halted: {}, paused: {} }), 'halted');
    assert.equal(reasonOfRefusal({ paused: {} }), 'paused');
    assert.equal(reasonOfRefusal({}), 'refused');
    assert.equal(pauseKindOfNote('Halted: Limit reached'), 'halted');
    assert.equal(pauseKindOfNote('Paused by ada'), 'paused');
  });
});
