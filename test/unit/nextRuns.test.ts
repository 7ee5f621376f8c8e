import assert from 'node:assert/strict';
import { nextRunTimes } from '../../domain/nextRuns';
import { runWords } from '../../api/queries/schedulePreview';

/** The next runs a schedule preview lists (test/api/consoleSupport.test.ts checks them against Temporal's own). */
describe('next run times', () => {
  const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

  it('keeps the wall-clock time of a calendar across a daylight saving change, in its time zone', () => {
    const from = new Date('2027-03-26T12:00:00Z'); // a Friday; Paris moves to summer time on Sunday the 28th
    const runs = nextRunTimes({ kind: 'calendar', days: ['SATURDAY', 'MONDAY'], times: ['06:00'], timezone: 'Europe/Paris' }, 'UTC', from, 2);
    assert.deepEqual(iso(runs), ['2027-03-27T05:00:00.000Z', '2027-03-29T04:00:00.000Z']);
    assert.deepEqual(runs.map((d) => runWords(d, 'Europe/Paris')), ['Sat 27 Mar, 06:00 Europe/Paris', 'Mon 29 Mar, 06:00 Europe/Paris']);
  });

  it('merges several times of day in order, and excludes the instant it starts from', () => {
    const from = new Date('2026-12-07T06:00:00Z'); // Monday 06:00 UTC itself
    const runs = nextRunTimes({ kind: 'calendar', days: ['MONDAY'], times: ['18:00', '06:00'] }, 'UTC', from, 3);
    assert.deepEqual(iso(runs), ['2026-12-07T18:00:00.000Z', '2026-12-14T06:00:00.000Z', '2026-12-14T18:00:00.000Z']);
  });

  it('counts an interval from the epoch whatever its time zone, and reads a cron expression in the job time zone', () => {
    const from = new Date('2026-12-07T10:01:00Z');
    assert.deepEqual(iso(nextRunTimes({ kind: 'interval', everyMinutes: 15, timezone: 'Asia/Kolkata' }, 'UTC', from, 2)), ['2026-12-07T10:15:00.000Z', '2026-12-07T10:30:00.000Z']);
    assert.deepEqual(iso(nextRunTimes({ kind: 'cron', expression: '30 8 * * *' }, 'America/New_York', from, 1)), ['2026-12-07T13:30:00.000Z']);
  });
});
