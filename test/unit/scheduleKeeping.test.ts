import assert from 'node:assert/strict';
import { keepingLines, scheduleKeeping } from '../setup/scheduleKeeping';

/** The load scenario's verdict, which bench:runcost prints too: it must catch what it is there to catch. */
describe('schedule keeping (load scenario verdict)', () => {
  const m0 = Date.parse('2026-12-07T10:00:00Z');
  const minutes = [m0, m0 + 60_000];
  const run = (job: string, number: number, scheduledAt: number | undefined, lagMs: number, extra: { trigger?: string; status?: string } = {}) => ({
    job, number, trigger: extra.trigger ?? 'schedule', status: extra.status ?? 'completed', startedAt: (scheduledAt ?? m0) + lagMs, scheduledAt,
  });

  it('finds missed and doubled minutes, gaps in numbering, runs that did not complete, and the lags', () => {
    const k = scheduleKeeping(['d/a', 'd/b', 'd/c'], [
      run('d/a', 1, m0, 1_000), run('d/a', 2, m0 + 60_000, 3_000),
      run('d/b', 1, m0, 2_000), run('d/b', 2, m0, 9_000, { status: 'failed' }),
      // A manual run in between counts for no minute; c's second minute never ran.
      run('d/c', 1, m0, 4_000), run('d/c', 3, undefined, 0, { trigger: 'manual' }),
    ], minutes);
    assert.deepEqual(k.missed, ['d/b @ 2026-12-07T10:01:00.000Z', 'd/c @ 2026-12-07T10:01:00.000Z']);
    assert.deepEqual(k.doubled, ['d/b @ 2026-12-07T10:00:00.000Z x2']);
    assert.deepEqual(k.gaps, ['d/c']);
    assert.deepEqual(k.notCompleted, ['d/b#2: failed']);
    assert.deepEqual(k.lags, [1_000, 2_000, 3_000, 4_000, 9_000]);
    assert.deepEqual(k.lagsByMinute, [[1_000, 2_000, 4_000, 9_000], [3_000]]);
    assert.match(keepingLines(k, 6)[0]!, /^5 scheduled runs of 6 expected; missed 2, doubled 1, not completed 1$/);
    assert.match(keepingLines(k, 6)[1]!, /p50 3\.0 s, p95 9\.0 s, max 9\.0 s/);
  });

  it('a run scheduled outside the window is no lag of it, and an empty window gives no figure', () => {
    const k = scheduleKeeping(['d/a'], [run('d/a', 1, m0 - 60_000, 500), run('d/a', 2, m0, 700), run('d/a', 3, m0 + 60_000, 800)], minutes);
    assert.deepEqual([k.missed, k.doubled, k.lags], [[], [], [700, 800]]);
    assert.match(keepingLines(scheduleKeeping([], [], []), 0)[1]!, /p50 NaN s/);
  });
});
