import assert from 'node:assert/strict';
import { CRON_MACROS, cronProblems, timeZoneProblem } from '../../domain/cron';

/** Cron expressions and time zones: what a schedule accepts, each refusal naming its field. */
describe('cron and time zone rules', () => {
  it('accepts five fields with numbers, ranges, steps, lists and names, and the macros', () => {
    for (const e of ['0 6 * * *', '*/15 8-17 * * 1-5', '0 0,6,12,18 * * MON-FRI', '30 2 1 JAN,JUL *', '0 6 * * 7', ...CRON_MACROS, '@DAILY']) {
      assert.deepEqual(cronProblems(e), [], e);
    }
  });

  it('refuses a bad value in any field, naming the field', () => {
    const cases: [string, string][] = [
      ['60 6 * * *', 'minute'], ['0 24 * * *', 'hour'], ['0 6 99 * *', 'day-of-month'], ['0 6 0 * *', 'day-of-month'],
      ['0 6 * 13 *', 'month'], ['0 6 * FOO *', 'month'], ['0 6 * * FOO', 'day-of-week'], ['0 6 * * 8', 'day-of-week'],
      ['5-2 * * * *', 'minute'], ['*/0 * * * *', 'minute'], ['1,,2 * * * *', 'minute'],
    ];
    for (const [e, field] of cases) {
      const problems = cronProblems(e);
      assert.equal(problems.length, 1, `${e}: ${JSON.stringify(problems)}`);
      assert.equal(problems[0]!.field, field, e);
    }
    assert.match(cronProblems('0 6 99 * *')[0]!.message, /"99" is not a valid day-of-month \(1-31\)/);
  });

  it('refuses what Temporal reads differently: L, W, ?, #, six or seven fields, @every, unknown macros', () => {
    for (const e of ['0 6 L * *', '0 6 15W * *', '0 6 ? * *', '0 6 * * 5#2', '0 0 6 * * *', '0 0 6 * * * 2030', '@every 5m', '@reboot', '']) {
      assert.ok(cronProblems(e).length > 0, `${JSON.stringify(e)} was accepted`);
    }
    assert.match(cronProblems('@every 5m')[0]!.message, /interval timing/);
    // Temporal ANDs the two day fields where cron ORs them: refused rather than read two ways.
    assert.deepEqual(cronProblems('0 6 13 * FRI').map((p) => p.field), ['expression']);
    assert.match(cronProblems('0 6 1-7 * MON')[0]!.message, /both set/);
  });

  it('accepts canonical IANA time zone names only, pointing to the name to use', () => {
    for (const tz of ['UTC', 'Europe/Paris', 'America/Argentina/Ushuaia', 'Etc/GMT+5']) assert.equal(timeZoneProblem(tz), undefined, tz);
    assert.match(timeZoneProblem('europe/paris')!, /use "Europe\/Paris"/);
    assert.match(timeZoneProblem('US/Eastern')!, /use "America\/New_York"/);
    for (const tz of ['Mars/Olympus', '+01:00', 'Europe/Paris ', '', 'Local', '../../etc/passwd']) assert.match(timeZoneProblem(tz)!, /is not a time zone/, tz);
  });
});
