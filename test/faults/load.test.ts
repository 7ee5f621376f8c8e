import assert from 'node:assert/strict';
import path from 'node:path';
import { jobScheduleId } from '../../contracts/workflowIds';
import { writeSectionsFile } from '../setup/sectionsFile';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { sleep } from './helpers';
import { keepingLines, scheduleKeeping } from '../setup/scheduleKeeping';

/**
 * Scenario 7 (load): 1,000 realtime import jobs, each on a schedule every minute, on one
 * worker, for ten minutes. Every job's schedule fires on the minute, so each minute starts
 * with a burst of 1,000 runs. No scheduled minute may be missed (a minute whose run never
 * happened) or doubled (two runs for one scheduled time); the schedule lag (the run's start
 * record minus the time the schedule meant it for) is printed as p50/p95/max.
 *
 * `npm run test:load` runs it (the rest of the fault suite is `npm run test:faults`);
 * LOAD_JOBS and LOAD_MINUTES shrink it.
 */
const JOBS = Number(process.env.LOAD_JOBS ?? 1_000);
const MINUTES = Number(process.env.LOAD_MINUTES ?? 10);
const DOMAINS = Math.min(10, JOBS);
const ROWS_PER_FILE = 5;

const domainOf = (i: number) => `load${i % DOMAINS}`;
const jobIdOf = (i: number) => `j${i}`;

async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

describe(`load: ${JOBS} jobs every minute for ${MINUTES} minutes on one worker`, function () {
  this.timeout((MINUTES + 45) * 60_000);
  let sys: TestSystem;
  const jobs = Array.from({ length: JOBS }, (_, i) => i);

  before(async () => {
    sys = await startSystem();
  });
  after(async function () {
    this.timeout(10 * 60_000);
    // Stop the ticking before anything else, so the other suites get the machine back.
    if (sys) await inBatches(jobs, 16, (i) => sys.client.schedule.getHandle(jobScheduleId(domainOf(i), jobIdOf(i))).pause('end of test').catch(() => undefined));
    await sys?.stop();
  });

  it('misses and doubles no scheduled minute', async () => {
    const tokens = new Map<string, string>();
    for (let d = 0; d < DOMAINS; d++) tokens.set(`load${d}`, await sys.token('domain_admin', `load${d}`));

    // Create every job through the API (what an administrator would do), timed. Start just
    // after a minute begins, so the jobs created first do not tick while the rest are made.
    await sleep(60_000 - (Date.now() % 60_000) + 500);
    const t0 = Date.now();
    await inBatches(jobs, 4, async (i) => {
      const domain = domainOf(i);
      const id = jobIdOf(i);
      const file = path.join(sys.areaOf(domain), `${id}.csv`);
      await writeSectionsFile(file, ROWS_PER_FILE, `${id}-`);
      const res = await sys.call(tokens.get(domain)!, 'POST', `/domains/${domain}/jobs`, {
        id, name: id, taskType: 'sectionsCsv', mode: 'realtime', sourceUrl: `file://${file}`,
        scheduling: { type: 'scheduled', timing: { kind: 'cron', expression: '* * * * *' } },
      });
      if (res.status !== 201) throw new Error(`create ${domain}/${id}: ${res.status} ${res.text}`);
    });
    const created = Date.now();
    console.log(`      created ${JOBS} jobs through the API in ${((created - t0) / 1000).toFixed(1)} s (${(JOBS / ((created - t0) / 1000)).toFixed(1)} jobs/s)`);

    // The window: MINUTES whole minutes, starting at the first minute after every job exists.
    const windowStart = Math.ceil((created + 1_000) / 60_000) * 60_000;
    const windowEnd = windowStart + MINUTES * 60_000;
    await sleep(windowEnd - Date.now() + 1_000);
    await inBatches(jobs, 16, (i) => sys.client.schedule.getHandle(jobScheduleId(domainOf(i), jobIdOf(i))).pause('end of the load window'));

    // Wait for every run the window's ticks asked for to have ended (the backlog drains).
    const expected = JOBS * MINUTES;
    const inWindow = async () => {
      const { rows } = await sys.db.query(
        `select count(*)::int as started, count(ended_at)::int as ended from runs where domain like 'load%' and started_at >= $1`,
        [new Date(windowStart)],
      );
      return rows[0] as { started: number; ended: number };
    };
    // A system that keeps up has drained within a minute; one that does not is not waited
    // for long (its unstarted minutes count as missed).
    const drainStart = Date.now();
    await eventually(async () => {
      const { rows } = await sys.db.query(`select count(*)::int as n from runs where domain like 'load%' and ended_at is null`);
      return rows[0].n === 0 && Date.now() - drainStart > 15_000 ? true : undefined;
    }, 'every run to end', 5 * 60_000).catch(() => undefined);
    console.log(`      drained ${((Date.now() - drainStart) / 1000).toFixed(0)} s after the window; runs since the window opened: ${JSON.stringify(await inWindow())}`);

    // Every run with the time its schedule meant it for (its record keeps it).
    const { rows: runs } = await sys.db.query<{ domain: string; identifier: string; number: number; trigger: string; status: string; started_at: Date; ended_at: Date | null; scheduled_at: Date | null }>(
      `select r.domain, j.identifier, r.number, r.trigger, r.status, r.started_at, r.ended_at, r.scheduled_at
         from runs r join jobs j on j.id = r.job_id where r.domain like 'load%' order by r.domain, j.identifier, r.number`,
    );

    const minutes = Array.from({ length: MINUTES }, (_, m) => windowStart + m * 60_000);
    const keeping = scheduleKeeping(jobs.map((i) => `${domainOf(i)}/${jobIdOf(i)}`), runs.map((r) => ({
      job: `${r.domain}/${r.identifier}`, number: r.number, trigger: r.trigger, status: r.status,
      startedAt: r.started_at.getTime(), scheduledAt: r.scheduled_at?.getTime(),
    })), minutes);
    const { missed, doubled, gaps, notCompleted, lags } = keeping;
    console.log(`      window ${new Date(windowStart).toISOString()} .. ${new Date(windowEnd).toISOString()}:`);
    for (const line of keepingLines(keeping, expected, '        ')) console.log(line);
    const show = (xs: string[]) => `${xs.length}: ${xs.slice(0, 10).join('; ')}${xs.length > 10 ? ' ...' : ''}`;
    assert.deepEqual(doubled, [], `doubled ${show(doubled)}`);
    assert.deepEqual(missed, [], `missed ${show(missed)}`);
    assert.deepEqual(gaps, [], `run numbers not consecutive ${show(gaps)}`);
    assert.deepEqual(notCompleted, [], `not completed ${show(notCompleted)}`);
    assert.equal(lags.length, expected);
    // The data: each job's file, exactly once (every run after the first finds it unchanged).
    const { rows: data } = await sys.db.query(
      `select count(*)::int as total, count(distinct (domain, section_id))::int as distinct from sections where domain like 'load%'`,
    );
    assert.deepEqual(data[0], { total: JOBS * ROWS_PER_FILE, distinct: JOBS * ROWS_PER_FILE });
  });
});
