import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import { notificationActivities } from '../../activities/notifications';
import { runRecordActivities } from '../../activities/runRecords';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { decodeQuotedPrintable, startSmtpServer } from './smtpServer';

/** Report emails, sent by the notifyRun activity to a real SMTP server started here. */
describe('report emails', () => {
  let sys: TestSystem;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let admin: string;
  before(async () => {
    smtp = await startSmtpServer();
    sys = await startSystem();
    admin = await sys.token('domain_admin', 'mail');
    const sample = path.join(sys.areaOf('mail'), 'sections.csv');
    fs.copyFileSync(path.resolve('samples/sections.csv'), sample);
    const created = await sys.call(admin, 'POST', '/domains/mail/jobs', {
      id: 'reported', name: 'Reported sections', taskType: 'sectionsCsv', mode: 'batch',
      sourceUrl: `file://${sample}`, sendReport: true, recipients: ['registrar@example.edu', 'ops@example.edu'],
    });
    assert.equal(created.status, 201, created.text);
    await sys.call(admin, 'POST', '/domains/mail/jobs/reported/run');
    await eventually(async () => {
      const { json } = await sys.call(admin, 'GET', '/domains/mail/jobs/reported');
      return json.lastRuns.length === 1 && !json.currentRun ? json : undefined;
    }, 'the first run');
  });
  after(async () => {
    await sys?.stop();
    await smtp?.stop();
  });

  const notify = (smtpUrl: string) =>
    notificationActivities({ orm: sys.orm, pool: sys.db, temporal: sys.client, config: {
      ...sys.config, SMTP_URL: smtpUrl,
      MAIL_FROM: 'jobflow <jobflow@example.edu>', PUBLIC_API_URL: 'https://jobs.example.edu', TEMPORAL_WEB_URL: 'https://temporal.example.edu',
    } });

  it('sends the run report to every recipient with outcome, counts and links', async () => {
    const before = smtp.mails.length;
    const result = await new MockActivityEnvironment().run(notify(smtp.url).notifyRun, { domain: 'mail', jobId: 'reported', runNumber: 1, notice: 'ended' as const });
    assert.deepEqual(result, { sent: true, to: ['registrar@example.edu', 'ops@example.edu'] });
    const mail = smtp.mails.at(before)!;
    mail.raw = decodeQuotedPrintable(mail.raw);
    assert.deepEqual(mail.to, ['registrar@example.edu', 'ops@example.edu']);
    assert.match(mail.raw, /Subject: \[jobflow\] Reported sections: run 1 completed/);
    assert.match(mail.raw, /Rows: read 15, inserted 15, updated 0/);
    assert.match(mail.raw, /https:\/\/jobs\.example\.edu\/domains\/mail\/jobs\/reported\/runs\/1/);
    assert.match(mail.raw, /https:\/\/temporal\.example\.edu\/namespaces\/default\/workflows\/run-mail-reported-1/);
  });

  it("reports an export's rows as extracted and delivered, not inserted", async () => {
    const created = await sys.call(admin, 'POST', '/domains/mail/jobs', {
      id: 'sent-out', name: 'Sections out', taskType: 'sectionsCsv', mode: 'batch', direction: 'export',
      destinationUrl: 'https://127.0.0.1:9/in', sendReport: true, recipients: ['registrar@example.edu'],
    });
    assert.equal(created.status, 201, created.text);
    const ref = { domain: 'mail', jobId: 'sent-out', runNumber: 1 };
    await new MockActivityEnvironment().run(runRecordActivities({ orm: sys.orm, pool: sys.db } as ActivityDeps).recordRunStart, { ...ref, trigger: 'manual' as const, attempt: 1 });
    await sys.db.query(`update runs set read = 12, inserted = 12, status = 'completed', ended_at = now() where workflow_id = 'run-mail-sent-out-1'`);
    const before = smtp.mails.length;
    await new MockActivityEnvironment().run(notify(smtp.url).notifyRun, { ...ref, notice: 'ended' as const });
    const raw = decodeQuotedPrintable(smtp.mails.at(before)!.raw);
    assert.match(raw, /Rows: extracted 12, delivered 12\r?\n/);
    assert.doesNotMatch(raw, /inserted/);
  });

  it('sends nothing when "send report" is off', async () => {
    const off = await sys.call(admin, 'PATCH', '/domains/mail/jobs/reported', { sendReport: false });
    assert.equal(off.status, 200, off.text);
    const before = smtp.mails.length;
    const result = (await new MockActivityEnvironment().run(notify(smtp.url).notifyRun, { domain: 'mail', jobId: 'reported', runNumber: 1, notice: 'ended' as const })) as { sent: boolean };
    assert.equal(result.sent, false);
    assert.equal(smtp.mails.length, before);
    const on = await sys.call(admin, 'PATCH', '/domains/mail/jobs/reported', { sendReport: true });
    assert.equal(on.status, 200, on.text);
    assert.equal(on.json.sendReport, true);
    assert.deepEqual(on.json.recipients, ['registrar@example.edu', 'ops@example.edu'], 'a PATCH keeps the fields it does not name');
  });

  it('fails the activity (to be retried) when the SMTP server is down', async () => {
    const down = await startSmtpServer();
    await down.stop();
    await assert.rejects(
      new MockActivityEnvironment().run(notify(down.url).notifyRun, { domain: 'mail', jobId: 'reported', runNumber: 1, notice: 'started' as const }),
      /ECONNREFUSED|connect/i,
    );
  });
});

/** The job workflow decides when to write: start and end, one alert, one recovery, never per retry. */
describe('report emails from a job\'s life', function () {
  this.timeout(5 * 60_000);
  let sys: TestSystem;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let admin: string;
  before(async () => {
    smtp = await startSmtpServer();
    sys = await startSystem({ smtpUrl: smtp.url, retryLimit: 2, retryIntervalMs: 1_000 });
    admin = await sys.token('domain_admin', 'life');
  });
  after(async () => {
    await sys?.stop();
    await smtp?.stop();
  });

  const subjects = () => smtp.mails.map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]);
  const waitForRuns = (id: string, n: number) =>
    eventually(async () => {
      const { json } = await sys.call(admin, 'GET', `/domains/life/jobs/${id}`);
      return json.lastRuns[0]?.number === n && !json.currentRun && !json.retry ? json : undefined;
    }, `${n} runs of ${id}`, 120_000);

  it('alerts once when the retries are used up and once when the job recovers', async () => {
    const file = path.join(sys.areaOf('life'), 'later.csv');
    const created = await sys.call(admin, 'POST', '/domains/life/jobs', {
      id: 'flaky', name: 'Flaky', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${file}`,
      sendReport: true, recipients: ['registrar@example.edu'],
    });
    assert.equal(created.status, 201, created.text);
    await sys.call(admin, 'POST', '/domains/life/jobs/flaky/run');
    const failing = await waitForRuns('flaky', 3);
    assert.deepEqual(failing.lastRuns.map((r: { outcome: string }) => r.outcome), ['failed', 'failed', 'failed']);
    await eventually(async () => (smtp.mails.length >= 2 ? true : undefined), 'the alert');
    assert.deepEqual(subjects(), [
      '[jobflow] Flaky: run 1 started',
      '[jobflow] Flaky needs attention: run 3 failed after its retries',
    ]);

    fs.copyFileSync(path.resolve('samples/sections.csv'), file);
    await sys.call(admin, 'POST', '/domains/life/jobs/flaky/run');
    await waitForRuns('flaky', 4);
    await sys.call(admin, 'POST', '/domains/life/jobs/flaky/run');
    await waitForRuns('flaky', 5);
    await eventually(async () => (smtp.mails.length >= 6 ? true : undefined), 'the recovery and the next report');
    assert.deepEqual(subjects().slice(2), [
      '[jobflow] Flaky: run 4 started',
      '[jobflow] Flaky recovered: run 4 completed',
      '[jobflow] Flaky: run 5 started',
      '[jobflow] Flaky: run 5 completed',
    ]);
  });

  it('still completes the run when the SMTP server is down', async () => {
    await smtp.stop();
    await sys.call(admin, 'POST', '/domains/life/jobs/flaky/run');
    const job = await waitForRuns('flaky', 6);
    assert.equal(job.lastRuns[0].outcome, 'completed');
  });
});
