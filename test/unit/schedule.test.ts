import assert from 'node:assert/strict';
import { runsPerDay, schedulingRefusal, timingProblems, type Timing } from '../../domain/schedule';

const daily: Timing = { kind: 'calendar', days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], times: ['06:00'] };

describe('schedule rules', () => {
  describe('cron counting', () => {
    it('counts the runs a timing starts on one day', () => {
      assert.equal(runsPerDay({ kind: 'cron', expression: '0 6 * * *' }), 1);
      assert.equal(runsPerDay({ kind: 'cron', expression: '0 0,6,12,18 * * 1-5' }), 4);
      assert.equal(runsPerDay({ kind: 'cron', expression: '*/15 8-17 * * 1-5' }), 40);
      assert.equal(runsPerDay({ kind: 'interval', everyMinutes: 360 }), 4);
      assert.equal(runsPerDay({ kind: 'interval', everySeconds: 5 }), 17_280);
      assert.equal(runsPerDay({ kind: 'calendar', days: ['MONDAY'], times: ['06:00', '12:00', '06:00'] }), 2);
      assert.equal(runsPerDay({ kind: 'cron', expression: '8-18/5 1,2,2,7 * * *' }), 9);
      assert.equal(runsPerDay({ kind: 'cron', expression: '@daily' }), 1);
      assert.equal(runsPerDay({ kind: 'cron', expression: '@hourly' }), 24);
    });
  });

  describe('timing problems', () => {
    it('accepts well-formed timings', () => {
      assert.deepEqual(timingProblems(daily), []);
      assert.deepEqual(timingProblems({ kind: 'interval', everySeconds: 5 }), []);
      assert.deepEqual(timingProblems({ kind: 'cron', expression: '0 6 * * 1-5' }), []);
    });
    it('names what is wrong', () => {
      assert.match(timingProblems({ kind: 'calendar', days: [], times: ['25:00'] }).join('; '), /at least one day.*"25:00" is not a time/);
      assert.match(timingProblems({ kind: 'interval' }).join(), /everyMinutes or everySeconds/);
      assert.match(timingProblems({ kind: 'interval', everyMinutes: 1, everySeconds: 5 }).join(), /one of them/);
      assert.match(timingProblems({ kind: 'interval', everyMinutes: 0 }).join(), /1 or more/);
      assert.match(timingProblems({ kind: 'cron', expression: '0 6 * *' }).join(), /five fields/);
      assert.match(timingProblems({ kind: 'calendar', days: ['MONDAY'], times: ['06:00'], timezone: 'Mars/Olympus' }).join(), /^scheduling\.timing\.timezone: "Mars\/Olympus" is not a time zone/);
    });
  });

  describe('scheduling per mode', () => {
    it('allows a batch import up to four times a day and refuses more with a clear error', () => {
      const four: Timing = { kind: 'cron', expression: '0 0,6,12,18 * * *' };
      assert.equal(schedulingRefusal('batch', 'import', { type: 'scheduled', timing: four }, daily), undefined);
      const five: Timing = { kind: 'calendar', days: ['MONDAY'], times: ['01:00', '02:00', '03:00', '04:00', '05:00'] };
      assert.equal(
        schedulingRefusal('batch', 'import', { type: 'scheduled', timing: five }, daily),
        'A batch import runs at most 4 times a day; this schedule runs it 5 times. Use a realtime job for frequent imports.',
      );
      assert.match(schedulingRefusal('batch', 'import', { type: 'scheduled', timing: { kind: 'interval', everySeconds: 5 } }, daily)!, /17280 times/);
    });
    it('lets batch exports and realtime imports run often', () => {
      const often: Timing = { kind: 'interval', everySeconds: 5 };
      assert.equal(schedulingRefusal('batch', 'export', { type: 'scheduled', timing: often }, daily), undefined);
      assert.equal(schedulingRefusal('realtime', 'import', { type: 'scheduled', timing: often }, daily), undefined);
    });
    it('allows batch without a schedule, refuses realtime without one', () => {
      assert.equal(schedulingRefusal('batch', 'import', { type: 'disabled' }, daily), undefined);
      assert.match(schedulingRefusal('realtime', 'import', { type: 'disabled' }, daily)!, /realtime job must have a schedule/);
      assert.equal(schedulingRefusal('realtime', 'import', { type: 'automatic' }, daily), undefined);
    });
    it('refuses a schedule on an on-demand job', () => {
      assert.equal(schedulingRefusal('on-demand', 'import', { type: 'disabled' }, daily), undefined);
      assert.match(schedulingRefusal('on-demand', 'import', { type: 'automatic' }, daily)!, /on-demand job has no schedule/);
    });
    it('refuses an invalid timing with its problems', () => {
      assert.match(schedulingRefusal('realtime', 'import', { type: 'scheduled', timing: { kind: 'cron', expression: 'nope' } }, daily)!, /The schedule is not valid: scheduling\.timing\.expression: cron "nope"/);
    });
  });
});
