import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { jobScheduleId, jobWorkflowId, MISSED_SCHEDULES_SCHEDULE_ID } from '../../contracts/workflowIds';
import { ensureMissedSchedulesSchedule } from '../../temporal/schedules';
import { missedSchedulesTotal } from '../../infra/metrics';
import { fileUrl, GOOD, holdValidating, jobsApi, sleep, writeFile } from '../lifecycle/helpers';
import { recordHistory } from '../replay/histories';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { decodeQuotedPrintable, startSmtpServer } from './smtpServer';

/**
 * The missed-schedule ledger (README, Missed schedules), each reason produced for real: jobs on
 * a two-second schedule with a 10 s catch-up window (Temporal's least), a person's pause, a
 * halt, a worker stopped past the window, ticks merged behind a long run; the reconciler run as
 * its system schedule runs it; the alert emails through a real SMTP server.
 */
describe('missed-schedule ledger', function () {
  this.timeout(180_000);
  let sys: TestSystem;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  const WINDOW_MS = 10_000;
  const EVERY_S = 2;

  before(async () => {
    smtp = await startSmtpServer();
    sys = await startSystem({ retryLimit: 0, smtpUrl: smtp.url, settings: { SCHEDULE_CATCHUP_WINDOW: `${WINDOW_MS / 1000}s` } });
  });
  after(async () => {
    await sys?.stop();
    await smtp?.stop();
  });

  /** A realtime import every two seconds, with a recipient for alerts. */
  async function job(domain: string, id: string, content: string | Buffer = GOOD) {
    const jobs = jobsApi(sys, await sys.token('domain_admin', domain), domain);
    const source = fileUrl(writeFile(sys.areaOf(domain), `${id}.csv`, content as string));
    await sys.call(await sys.token('domain_admin', domain), 'POST', `/domains/${domain}/jobs`, {
      id, name: id, taskType: 'sectionsCsv', mode: 'realtime', sourceUrl: source, recipients: [`ops@${domain}.test`],
      scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: EVERY_S } },
    }).then((r) => assert.equal(r.status, 201, r.text));
    return jobs;
  }

  type Entry = { scheduledAt: string; reason: string; detail: string | null; mergedInto: string | null };
  async function missed(domain: string, id: string, query = ''): Promise<{ items: Entry[]; total: number }> {
    const r = await sys.call(await sys.token('read_only', domain), 'GET', `/domains/${domain}/jobs/${id}/missed?limit=500${query}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  }

  /** What the system schedule runs: the reconciler over every job. */
  const reconcile = () =>
    sys.client.workflow.execute('missedSchedulesWorkflow', { taskQueue: sys.taskQueue, workflowId: `missed-${crypto.randomUUID()}`, args: [] }) as Promise<{ jobs: number; recorded: number }>;

  /** The reconciler looks only at times Temporal has given up on: this long after `t`. */
  const pastWindow = async (t: number) => sleep(Math.max(0, t + WINDOW_MS + 1_500 - Date.now()));

  const alertsTo = (domain: string) => smtp.mails.filter((m) => m.to.includes(`ops@${domain}.test`) && /a scheduled run was missed/.test(m.raw));
  const counted = async (reason: string) => (await missedSchedulesTotal.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  const onGrid = (iso: string) => Date.parse(iso) % (EVERY_S * 1000) === 0;

  async function remove(domain: string, id: string) {
    await sys.call(await sys.token('domain_admin', domain), 'DELETE', `/domains/${domain}/jobs/${id}`);
  }

  it("a person's pause: every time inside it is recorded paused, found by the reconciler; no alert", async () => {
    const D = 'ms-pause';
    const jobs = await job(D, 'nightly');
    await jobs.waitFor('nightly', (j) => j.lastRuns.length >= 1, 'a scheduled run');
    const pausedFrom = Date.now();
    assert.equal((await jobs.post('nightly', 'pause', { note: 'maintenance' })).status, 202);
    await eventually(async () => ((await jobs.schedule('nightly').describe()).state.paused ? true : undefined), 'the schedule paused');
    await sleep(5 * EVERY_S * 1000);
    assert.equal((await jobs.post('nightly', 'reactivate')).status, 202);
    await eventually(async () => ((await jobs.schedule('nightly').describe()).state.paused ? undefined : true), 'the schedule unpaused');
    const pausedTo = Date.now();
    const before = await counted('paused');
    // The reconciler looks at every job of the database: in the full suite, other suites' paused jobs too.
    const lastEntry = Number((await sys.db.query<{ id: string | null }>('select max(id) as id from missed_schedules')).rows[0]!.id ?? 0);

    await pastWindow(pausedTo);
    await reconcile();
    const { items, total } = await missed(D, 'nightly');
    const inPause = items.filter((e) => Date.parse(e.scheduledAt) > pausedFrom && Date.parse(e.scheduledAt) < pausedTo);
    assert.ok(inPause.length >= 4, `the times of a 10 s pause on a 2 s schedule are recorded (got ${JSON.stringify(items)})`);
    assert.ok(inPause.every((e) => e.reason === 'paused' && onGrid(e.scheduledAt)), JSON.stringify(inPause));
    assert.ok(inPause.some((e) => /^The job was paused \(Paused by .+: maintenance\)\.$/.test(e.detail ?? '')), JSON.stringify(inPause));
    // Every other time got its run (or, on a loaded machine, joined one): nothing else is missing.
    assert.deepEqual(items.filter((e) => !inPause.includes(e) && e.reason !== 'merged'), []);
    const recordedPaused = Number((await sys.db.query<{ n: string }>(`select count(*) as n from missed_schedules where id > $1 and reason = 'paused'`, [lastEntry])).rows[0]!.n);
    assert.ok(recordedPaused >= inPause.length);
    assert.equal(await counted('paused') - before, recordedPaused, 'jobflow_missed_schedules_total{reason="paused"} counts each entry');

    // The job detail counts them; the list filters by reason and pages.
    const detail = await jobs.get('nightly');
    assert.equal(detail.missedSchedules.byReason.paused, inPause.length);
    assert.ok(detail.missedSchedules.total >= inPause.length && total >= inPause.length);
    const page = await sys.call(await sys.token('read_only', D), 'GET', `/domains/${D}/jobs/nightly/missed?reason=paused&limit=2&offset=1`);
    assert.deepEqual(page.json.items.map((e: Entry) => e.scheduledAt), inPause.slice(1, 3).map((e) => e.scheduledAt));
    assert.equal(page.json.total, inPause.length);

    // Entries older than RUN_RETENTION_DAYS go with the next look, as old runs do.
    const jobUuid = (await sys.db.query<{ id: string }>(`select id from jobs where domain = $1 and identifier = 'nightly'`, [D])).rows[0]!.id;
    await sys.db.query(`insert into missed_schedules (job_id, domain, scheduled_at, reason, detail) values ($1, $2, now() - interval '400 days', 'paused', 'old')`, [jobUuid, D]);

    // A second look adds nothing: each look starts where the last ended.
    await reconcile();
    assert.equal((await missed(D, 'nightly')).items.filter((e) => e.reason === 'paused').length, inPause.length, 'nothing added, and the 400-day-old entry pruned');
    assert.deepEqual(alertsTo(D), [], "a person's pause sends no alert");

    // Tenants are walls: another domain's token is told the job does not exist; a system administrator reads it.
    const other = await sys.call(await sys.token('domain_admin', 'ms-other'), 'GET', `/domains/${D}/jobs/nightly/missed`);
    assert.equal(other.status, 404, other.text);
    const system = await sys.call(await sys.token('system_admin'), 'GET', `/domains/${D}/jobs/nightly/missed?reason=paused`);
    assert.equal(system.json.total, inPause.length);
    const bad = await sys.call(await sys.token('read_only', D), 'GET', `/domains/${D}/jobs/nightly/missed?reason=forgotten`);
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /reason/);
    await remove(D, 'nightly');
  });

  it('a halt: the times after it are recorded halted, with one alert for the day however many', async () => {
    const D = 'ms-halt';
    // Not UTF-8: the file does not match the mapping, the run halts, and with no retries the job halts.
    const jobs = await job(D, 'broken', Buffer.from([0x73, 0x65, 0x63, 0xff, 0xfe, 0x0a]) as unknown as string);
    const halted = await jobs.waitFor('broken', (j) => j.status === 'halted', 'the job halted');
    const haltedAt = Date.parse(halted.halted.at);
    await eventually(async () => ((await jobs.schedule('broken').describe()).state.paused ? true : undefined), 'the schedule paused');

    await pastWindow(haltedAt + 3 * EVERY_S * 1000);
    await reconcile();
    const first = (await missed(D, 'broken')).items;
    assert.ok(first.length >= 3, JSON.stringify(first));
    assert.ok(first.every((e) => e.reason === 'halted' && Date.parse(e.scheduledAt) >= haltedAt - EVERY_S * 1000), JSON.stringify(first));
    assert.ok(first.some((e) => e.detail === `The job was halted (${halted.halted.reason}).`), JSON.stringify(first));

    await sleep(2 * EVERY_S * 1000);
    await reconcile();
    const later = (await missed(D, 'broken')).items;
    assert.ok(later.length > first.length, 'the next look records the times since');
    const alerts = await eventually(async () => (alertsTo(D).length ? alertsTo(D) : undefined), 'the alert');
    await sleep(1_000);
    assert.equal(alertsTo(D).length, 1, 'one alert per job per day');
    const body = decodeQuotedPrintable(alerts[0]!.raw);
    assert.match(body, /Subject: \[jobflow\] broken: a scheduled run was missed \(halted\)/);
    assert.match(body, /Reason: halted/);
    assert.match(body, /http:\/\/api\.test\/domains\/ms-halt\/jobs\/broken\/missed/);
    await remove(D, 'broken');
  });

  it('a worker stopped past the catch-up window: the ticks it took too late are recorded, not run; one alert', async () => {
    const D = 'ms-late';
    const jobs = await job(D, 'feed');
    await jobs.waitFor('feed', (j) => j.lastRuns.length >= 1, 'a scheduled run');
    const before = await counted('outside_catchup_window');
    await sys.stopWorker();
    const stoppedAt = Date.now();
    await sleep(WINDOW_MS + 4 * EVERY_S * 1000);
    const restartedAt = Date.now();
    await sys.restartWorker();

    const late = await eventually(async () => {
      const items = (await missed(D, 'feed', '&reason=outside_catchup_window')).items;
      return items.length >= 2 ? items : undefined;
    }, 'the late ticks recorded');
    const seenAt = Date.now();
    for (const e of late) {
      // Scheduled while the worker was down, and taken (before now) more than the window after.
      assert.ok(Date.parse(e.scheduledAt) >= stoppedAt - EVERY_S * 1000 && Date.parse(e.scheduledAt) < seenAt - WINDOW_MS, JSON.stringify(e));
      const [, lateS] = /reached a worker ([\d.]+) s after its time, past the 10 s catch-up window/.exec(e.detail!) ?? [];
      assert.ok(Number(lateS) > WINDOW_MS / 1000, e.detail!);
    }
    // The ticks still inside the window ran (one run; the rest joined it).
    await eventually(async () => {
      const runs = (await jobs.runs('feed')) as unknown as { startedAt: string }[];
      return runs.some((r) => Date.parse(r.startedAt) >= restartedAt) ? true : undefined;
    }, 'a run after the restart');
    assert.ok(await counted('outside_catchup_window') - before >= late.length, 'jobflow_missed_schedules_total{reason="outside_catchup_window"}');
    const alerts = await eventually(async () => (alertsTo(D).length ? alertsTo(D) : undefined), 'the alert');
    await sleep(1_000);
    assert.equal(alertsTo(D).length, 1);
    assert.match(decodeQuotedPrintable(alerts[0]!.raw), /Reason: outside catchup window/);

    // The scheduled runs of this path, for the replay tests: one too late, one in time.
    const schedule = await sys.client.schedule.getHandle(jobScheduleId(D, 'feed')).describe();
    const lateTick = schedule.info.recentActions.find((a) => a.scheduledAt.toISOString() === late[late.length - 1]!.scheduledAt);
    if (lateTick) await recordHistory(sys.client, lateTick.action.workflow.workflowId, 'scheduled-run-late-missed', lateTick.action.workflow.firstExecutionRunId);
    const onTime = schedule.info.recentActions[schedule.info.recentActions.length - 1]!;
    await recordHistory(sys.client, onTime.action.workflow.workflowId, 'scheduled-run-on-time', onTime.action.workflow.firstExecutionRunId);
    await remove(D, 'feed');
  });

  it('ticks merged behind a long run: recorded merged, naming the queued run they joined; one alert', async () => {
    const D = 'ms-merge';
    const gate = await holdValidating(sys);
    let released = false;
    try {
      const jobs = await job(D, 'slow');
      await jobs.waitFor('slow', (j) => !!j.currentRun && !!j.queuedRun, 'a run held, a tick queued behind it');
      const merged = await eventually(async () => {
        const items = (await missed(D, 'slow')).items;
        return items.length >= 2 ? items : undefined;
      }, 'ticks merged');
      await gate.release();
      released = true;
      await jobs.waitFor('slow', (j) => j.lastRuns.length >= 2, 'the held run and the queued one ended');
      assert.ok(merged.every((e) => e.reason === 'merged'), JSON.stringify(merged));
      // They joined the tick queued behind run 1, which became run 2 (its scheduled time on its record).
      const { rows } = await sys.db.query<{ scheduled_at: Date }>(
        `select r.scheduled_at from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = 'slow' and r.number = 2`, [D]);
      assert.ok(merged.every((e) => e.mergedInto === rows[0]!.scheduled_at.toISOString()), `${JSON.stringify(merged)} vs ${rows[0]!.scheduled_at.toISOString()}`);
      assert.match(merged[0]!.detail!, /already queued behind the current one \(the one scheduled for .+\), and joined it/);
      const detail = await jobs.get('slow');
      assert.ok(detail.missedSchedules.byReason.merged >= 2);
      await eventually(async () => (alertsTo(D).length ? true : undefined), 'the alert');
      await sleep(1_000);
      assert.equal(alertsTo(D).length, 1);
      assert.match(decodeQuotedPrintable(alertsTo(D)[0]!.raw), /Reason: merged/);
      await recordHistory(sys.client, jobWorkflowId(D, 'slow'), 'job-realtime-schedule-merged');
    } finally {
      if (!released) await gate.release();
      await remove(D, 'slow');
    }
  });

  it('the reconciler is a Temporal Schedule every MISSED_SCHEDULES_CHECK_INTERVAL, made by every worker as it starts, once', async () => {
    await ensureMissedSchedulesSchedule(sys.client, { everyMs: 300_000, taskQueue: sys.taskQueue });
    await ensureMissedSchedulesSchedule(sys.client, { everyMs: 60_000, taskQueue: sys.taskQueue });
    const handle = sys.client.schedule.getHandle(MISSED_SCHEDULES_SCHEDULE_ID);
    try {
      const desc = await handle.describe();
      assert.equal(desc.action.type === 'startWorkflow' && desc.action.workflowType, 'missedSchedulesWorkflow');
      assert.deepEqual(desc.spec.intervals?.map((i) => i.every), [60_000]);
      // The schedule is the namespace's one: earlier systems' workers made it, on their task
      // queues, and it may have fired for them. The action to follow is the one this trigger took.
      const triggeredAt = Date.now() - 1_000;
      await handle.trigger();
      const taken = await eventually(async () => (await handle.describe()).info.recentActions.find((a) => a.takenAt.getTime() >= triggeredAt), 'the reconciler started');
      const result = await sys.client.workflow.getHandle(taken.action.workflow.workflowId).result();
      assert.ok(result.jobs >= 0 && result.recorded >= 0, JSON.stringify(result));
    } finally {
      await handle.delete();
    }
  });
});
