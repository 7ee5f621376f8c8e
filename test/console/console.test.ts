import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { jobScheduleId } from '../../contracts/workflowIds';
import { mapBounded } from '../../infra/mapBounded';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { SECTIONS_HEADER, sectionLine, writeSectionsFile } from '../setup/sectionsFile';
import { launchBrowser, openPage, screenshot, seriousViolations, signIn } from './browser';

/**
 * The console in a real browser (Debian's Chromium) against the real system: what an
 * administrator does from the seeds, checked by what the page shows.
 */
describe('console in the browser', function () {
  this.timeout(180_000);
  const domain = 'console-acme';
  const other = 'console-globex';
  let sys: TestSystem;
  let browser: Browser;
  let admin: string;
  let reader: string;
  let system: string;
  let good: string;
  let withRejects: string;
  /** Large enough that its run lasts a few seconds: long enough to watch it run. */
  let big: string;
  const BIG_ROWS = 300_000;
  let page: Page;
  let problems: string[];
  let closeContext: () => Promise<void>;

  const api = async (token: string, method: string, url: string, body?: unknown) => {
    const r = await sys.call(token, method, url, body);
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
    return r.json as Record<string, unknown>;
  };
  /** The job's first run, on `bytes` written to its area as `name` and made its source; ended. */
  const importWith = async (id: string, name: string, bytes: Buffer) => {
    const file = path.join(sys.areaOf(domain), name);
    fs.writeFileSync(file, bytes);
    await api(admin, 'PATCH', `/domains/${domain}/jobs/${id}`, { sourceUrl: `file://${file}` });
    await api(admin, 'POST', `/domains/${domain}/jobs/${id}/run`);
    return eventually(async () => {
      const r = await api(admin, 'GET', `/domains/${domain}/jobs/${id}/runs/1`);
      return r.endedAt ? r : undefined;
    }, `the import of ${id} to end`);
  };
  const createJob = (id: string, extra: Record<string, unknown> = {}) =>
    api(admin, 'POST', `/domains/${domain}/jobs`, { id, name: `Sections ${id}`, taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${good}`, ...extra });

  before(async () => {
    sys = await startSystem();
    browser = await launchBrowser();
    admin = await sys.token('domain_admin', domain);
    reader = await sys.token('read_only', domain);
    system = await sys.token('system_admin');
    const area = sys.areaOf(domain);
    good = path.join(area, 'sections.csv');
    fs.writeFileSync(good, [SECTIONS_HEADER, ...Array.from({ length: 30 }, (_, i) => sectionLine(i + 1))].join('\n') + '\n');
    big = path.join(area, 'big.csv');
    await writeSectionsFile(big, BIG_ROWS, 'B');
    withRejects = path.join(area, 'with-rejects.csv');
    fs.writeFileSync(withRejects, [SECTIONS_HEADER, sectionLine(1), sectionLine(2).replace(/,\d+,\d+$/, ',lots,3'), sectionLine(3)].join('\n') + '\n');
    await createJob('nightly-sections', { description: 'Sections from the SIS, every weekday morning', scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], times: ['06:00'], timezone: 'Europe/Paris' } } });
    await api(await sys.token('domain_admin', other), 'POST', `/domains/${other}/jobs`, { id: 'secret-job', name: 'Globex job', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${path.join(sys.areaOf(other), 'x.csv')}` });
  });
  after(async () => {
    await browser?.close();
    await sys?.stop();
  });

  beforeEach(async () => {
    const opened = await openPage(browser, sys.api);
    page = opened.page;
    problems = opened.problems;
    closeContext = () => opened.context.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      // What the page showed and any error it threw, printed under the failing test.
      const shown = await page.locator('main').innerText({ timeout: 2_000 }).catch((e: Error) => `(unreadable: ${e.message})`);
      console.error(`page ${page.url()}\nerrors in the page: ${JSON.stringify(problems)}\n${shown.slice(0, 3_000)}`);
    }
    await closeContext();
    // A page that threw or broke its CSP fails the test that opened it.
    if (this.currentTest?.state === 'passed') assert.deepEqual(problems, [], 'errors in the page');
  });

  const expectNoSeriousViolations = async (where: string) => assert.deepEqual(await seriousViolations(page), [], `axe on ${where}`);
  const row = (id: string) => page.getByRole('row').filter({ has: page.getByText(id, { exact: true }) });

  it('is served same-origin with a CSP without inline script, never framed, and the vendor module only from node_modules', async () => {
    const res = await fetch(`${sys.api}/console/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(await res.text(), /<script>|<style>|style=|https?:\/\//, 'no inline script or style, nothing from elsewhere');
    const vendor = await fetch(`${sys.api}/console/vendor/htm-preact.mjs`);
    assert.equal(vendor.status, 200);
    assert.match(vendor.headers.get('content-type') ?? '', /javascript/);
    for (const p of ['/console/vendor/../../package.json', '/console/%2e%2e/package.json', '/console/node_modules/htm/package.json', '/console/vendor/htm/package.json']) {
      assert.equal((await fetch(`${sys.api}${p}`)).status, 404, p);
    }
  });

  it('gives a cross-site request nothing: no CORS grant, and without the bearer token (the console has no cookie session) a 401 that changes nothing', async () => {
    const evil = 'https://evil.example';
    const url = `${sys.api}/domains/${domain}/jobs/nightly-sections/pause`;
    // A page on another site may not even ask: the preflight grants no origin.
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: evil, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null, 'preflight');
    // What a forged request can carry: its Origin, the browser's cookies (the codec session's, which authenticates only
    // Temporal Web's codec calls, included), a form or JSON body; never the token in the console's memory.
    const forged: [string, string][] = [['application/json', JSON.stringify({ note: 'forged' })], ['application/x-www-form-urlencoded', 'note=forged'], ['text/plain', 'note=forged']];
    for (const [type, body] of forged) {
      const res = await fetch(url, { method: 'POST', headers: { origin: evil, referer: `${evil}/attack.html`, cookie: 'jobflow_codec_session=anything; session=anything', 'content-type': type }, body });
      assert.equal(res.status, 401, type);
      assert.equal(res.headers.get('access-control-allow-origin'), null, type);
      assert.equal(res.headers.get('access-control-allow-credentials'), null, type);
    }
    const job = await api(admin, 'GET', `/domains/${domain}/jobs/nightly-sections`);
    assert.equal(job.paused, null, 'the job was not paused');
  });

  it('signs in with a token (a wrong one is refused next to the field), and signs out', async () => {
    await page.goto('/console/');
    await expectNoSeriousViolations('the sign-in page');
    await page.getByLabel('Token').fill('jf_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This token is not valid').waitFor();
    await page.getByLabel('Token').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await row('nightly-sections').waitFor();
    assert.match(await page.locator('header').innerText(), /domain admin · console-acme/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
  });

  it('loads the task types again when their first load failed, so the forms are not left without them', async () => {
    let refused = 0;
    await page.route('**/task-types', async (route) => {
      if (refused++ === 0) return route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Service Unavailable', status: 503 }) });
      return route.continue();
    });
    await signIn(page, admin);
    // The list's task type filter, on the page the failed load was for.
    await page.getByLabel('Task type').locator('option[value=courseCsv]').waitFor({ state: 'attached', timeout: 10_000 });
    assert.ok(refused >= 2, 'the first answer was the 503, then the task types were asked again');
    problems.splice(0); // the refused load is logged by the browser as a failed resource
  });

  it('creates a job from the form: the API\'s refusal is shown next to the field it names', async () => {
    await signIn(page, admin);
    await page.getByRole('link', { name: 'New job' }).click();
    await page.getByLabel('Identifier').fill('Morning Import!');
    await page.getByLabel('Title').fill('Morning sections');
    await page.getByLabel('Source URL').fill(`file://${good}`);
    await page.getByLabel('Scheduled').check();
    await page.getByLabel('Times (HH:MM, comma-separated)').fill('06:00, 09:00, 12:00, 15:00, 18:00');
    // The four-a-day rule is said before saving.
    await page.getByText('A batch import runs at most 4 times a day').waitFor();
    await expectNoSeriousViolations('the new job form');
    await page.getByRole('button', { name: 'Create job' }).click();
    const idError = page.locator('.field', { has: page.getByLabel('Identifier') }).locator('.field-error');
    await idError.waitFor();
    assert.match(await idError.innerText(), /lower-case letters/);
    // A refusal after validation (422) names its field too: a path outside the domain's file area.
    await page.getByLabel('Identifier').fill('morning-import');
    await page.getByLabel('Times (HH:MM, comma-separated)').fill('06:00');
    await page.getByLabel('Source URL').fill('file:///etc/passwd');
    await page.getByRole('button', { name: 'Create job' }).click();
    const urlError = page.locator('.field', { has: page.getByLabel('Source URL') }).locator('.field-error');
    await urlError.waitFor();
    assert.match(await urlError.innerText(), /file sources of domain console-acme must be under/);
    assert.equal(await idError.count(), 0, 'the identifier error is gone');
    await page.getByLabel('Source URL').fill(`file://${good}`);
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Morning sections' }).waitFor();
    const job = await api(admin, 'GET', `/domains/${domain}/jobs/morning-import`);
    assert.deepEqual(job.scheduling, { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], times: ['06:00'], timezone: 'UTC' } });
  });

  it('runs a job now from its page and shows the status and the live log', async () => {
    await createJob('run-me', { sourceUrl: `file://${big}` });
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/run-me');
    await page.getByRole('heading', { name: 'Sections run-me' }).waitFor();
    await page.getByRole('img', { name: 'Not run yet' }).waitFor();
    await expectNoSeriousViolations('the job page (information)');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByText('Run started.').waitFor();
    // While it runs: the running icon, then the log's lines as they are written.
    await page.getByRole('img', { name: 'Running' }).waitFor();
    await page.getByRole('tab', { name: 'Latest executions' }).click();
    await page.getByRole('button', { name: 'Log of run 1' }).click();
    const dialog = page.getByRole('dialog', { name: 'Log of run-me, run 1' });
    await dialog.getByText('Run 1 started').waitFor();
    const status = dialog.getByRole('status');
    assert.equal(await status.innerText(), 'Live', 'the first line arrived while the run was running');
    // The stream ends with the run: the last line and the end marker arrive while the dialog is open.
    await status.filter({ hasText: 'ended: completed' }).waitFor({ timeout: 90_000 });
    const lines = await dialog.getByRole('list', { name: 'Log lines' }).getByRole('listitem').allInnerTexts();
    assert.ok(lines.some((l) => l.includes(`Run completed (read ${BIG_ROWS}, inserted ${BIG_ROWS}`)), `the log tells the counts: ${lines.join(' | ')}`);
    await expectNoSeriousViolations('the log viewer');
    await screenshot(page, 'log-viewer');
    await dialog.getByRole('button', { name: 'Close' }).click();
    // The job's icon follows: the page polls the job.
    await page.getByRole('img', { name: 'Completed' }).first().waitFor({ timeout: 15_000 });
    await expectNoSeriousViolations('the latest executions tab');
    await screenshot(page, 'job-executions');
  });

  it('downloads the rejected rows of a run from its Failed % column', async () => {
    await createJob('rejects', { sourceUrl: `file://${withRejects}` });
    await api(admin, 'POST', `/domains/${domain}/jobs/rejects/run`);
    await eventually(async () => ((await api(admin, 'GET', `/domains/${domain}/jobs/rejects/runs/1`)).endedAt ? true : undefined), 'the run to end');
    await signIn(page, reader);
    await page.goto('/console/#/jobs/console-acme/rejects?tab=executions');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download rejected rows of run 1' }).click()]);
    assert.equal(download.suggestedFilename(), 'rejects-run-1-rejected.csv');
    const text = fs.readFileSync(await download.path(), 'utf8');
    const [header, ...rows] = text.trim().split(/\r?\n/);
    assert.equal(header, 'line,column,reason,raw');
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, /^3,/, 'the third line of the file was rejected');
    // The runs filtered by outcome (on the server): none failed; the one run is listed under its own outcome.
    const outcome = (await api(reader, 'GET', `/domains/${domain}/jobs/rejects/runs/1`)).status as string;
    await page.getByLabel('Outcome').selectOption('failed');
    await page.getByText('No run with this outcome.').waitFor();
    await page.getByLabel('Outcome').selectOption(outcome);
    await page.getByRole('button', { name: 'Log of run 1' }).waitFor();
  });

  it("edits a job's information: recipients and the term filter, saved as the API keeps them", async () => {
    await createJob('edit-me');
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/edit-me');
    await page.getByLabel('Report recipients (comma-separated emails)').fill('registrar@example.edu, not-an-email');
    await page.getByLabel('Send report').check();
    await page.getByLabel('Terms (comma-separated; none: all)').fill('2026FA, 2027SP');
    await page.getByRole('button', { name: 'Save' }).click();
    const recipientsError = page.locator('.field', { has: page.getByLabel('Report recipients (comma-separated emails)') }).locator('.field-error');
    await recipientsError.waitFor();
    await page.getByLabel('Report recipients (comma-separated emails)').fill('registrar@example.edu');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await expectNoSeriousViolations('the information tab');
    await screenshot(page, 'job-information', { fullPage: true });
    const job = await api(admin, 'GET', `/domains/${domain}/jobs/edit-me`);
    assert.deepEqual(job.recipients, ['registrar@example.edu']);
    assert.equal(job.sendReport, true);
    assert.deepEqual((job.rules as { terms: string[] }).terms, ['2026FA', '2027SP']);
  });

  it("edits an export job's campus and term filters, and its next export leaves the other rows out", async () => {
    // Its own domain, so what it exports is known: the 30 sections of the good file, half of them on each campus.
    const d = 'console-initech';
    const owner = await sys.token('domain_admin', d);
    const area = sys.areaOf(d);
    fs.copyFileSync(good, path.join(area, 'sections.csv'));
    await api(owner, 'POST', `/domains/${d}/jobs`, { id: 'sections-in', name: 'Sections in', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${path.join(area, 'sections.csv')}` });
    await api(owner, 'POST', `/domains/${d}/jobs/sections-in/run`);
    const imported = await eventually(async () => {
      const r = await api(owner, 'GET', `/domains/${d}/jobs/sections-in/runs/1`);
      return r.endedAt ? r : undefined;
    }, 'the import to end');
    assert.equal(imported.status, 'completed', String(imported.reason));
    const out = path.join(area, 'north-sections.csv');
    await api(owner, 'POST', `/domains/${d}/jobs`, { id: 'sections-out', name: 'Sections to the partner', taskType: 'sectionsCsv', mode: 'batch', direction: 'export', destinationUrl: `file://${out}` });
    await signIn(page, owner);
    await page.goto(`/console/#/jobs/${d}/sections-out`);
    await page.getByRole('heading', { name: 'Sections to the partner' }).waitFor();
    await page.getByLabel('Terms (comma-separated; none: all)').fill('2026FA, 2027SP');
    await page.getByLabel('Campuses (comma-separated; none: all)').fill('NORTH');
    // An export reads no file: no reading rules, no rejected-row limit, no canceled-section settings.
    assert.equal(await page.getByText('Reading', { exact: true }).count(), 0);
    assert.equal(await page.getByLabel('Most rejected rows before the run halts').count(), 0);
    assert.equal(await page.getByRole('group', { name: /Canceled sections/ }).count(), 0);
    await expectNoSeriousViolations("an export job's information tab");
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const job = await api(owner, 'GET', `/domains/${d}/jobs/sections-out`);
    const rules = job.rules as { terms?: string[]; campuses?: string[] };
    assert.deepEqual(rules.terms, ['2026FA', '2027SP']);
    assert.deepEqual(rules.campuses, ['NORTH']);
    // Shown as saved when the page is opened again.
    await page.reload();
    await signIn(page, owner);
    await page.goto(`/console/#/jobs/${d}/sections-out`);
    assert.equal(await page.getByLabel('Terms (comma-separated; none: all)').inputValue(), '2026FA, 2027SP');
    // The export applies them: the north campus's 15 sections only.
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByText('Run started.').waitFor();
    const run = await eventually(async () => {
      const r = await api(owner, 'GET', `/domains/${d}/jobs/sections-out/runs/1`);
      return r.endedAt ? r : undefined;
    }, 'the export to end');
    assert.equal(run.status, 'completed', String(run.reason));
    const [header, ...rows] = fs.readFileSync(out, 'utf8').trim().split(/\r?\n/);
    const campus = header!.split(',').indexOf('campus');
    assert.equal(rows.length, 15);
    assert.ok(rows.every((r) => r.split(',')[campus] === 'NORTH'), rows.join('\n'));
  });

  it("saves a sections import's canceled-section settings, shown only where the task type has them", async () => {
    await createJob('canceled-rules');
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/canceled-rules');
    const group = page.getByRole('group', { name: 'Canceled sections (status “canceled” in the file)' });
    const importThem = group.getByRole('checkbox', { name: 'Import canceled sections' });
    const deleteThem = group.getByRole('checkbox', { name: 'Delete existing sections that become canceled' });
    // The defaults (seed 000): not imported, and deleted once they become canceled.
    assert.equal(await importThem.isChecked(), false);
    assert.equal(await deleteThem.isChecked(), true);
    await group.getByText('A canceled section is not imported; one already imported is deleted.', { exact: false }).waitFor();
    await deleteThem.uncheck();
    await group.getByText('one already imported is kept as it was', { exact: false }).waitFor();
    await expectNoSeriousViolations('the canceled-section settings');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    let rules = (await api(admin, 'GET', `/domains/${domain}/jobs/canceled-rules`)).rules as { importCanceled: boolean; deleteCanceled: boolean; delimiter: string };
    assert.deepEqual([rules.importCanceled, rules.deleteCanceled], [false, false]);
    assert.equal(rules.delimiter, ',', 'the reading rules are kept');
    // Imported: then none is deleted, and the page says so.
    await importThem.check();
    assert.ok(await deleteThem.isDisabled(), 'deleting does not apply to sections that are imported');
    await page.getByRole('button', { name: 'Save' }).click();
    await eventually(async () => {
      rules = (await api(admin, 'GET', `/domains/${domain}/jobs/canceled-rules`)).rules as typeof rules;
      return rules.importCanceled ? true : undefined;
    }, 'importCanceled saved');
    await page.reload();
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/canceled-rules');
    assert.equal(await importThem.isChecked(), true, 'shown as saved');
    // A task type without canceled sections has no such settings.
    await api(admin, 'POST', `/domains/${domain}/jobs`, { id: 'users-in', name: 'Users users-in', taskType: 'usersCsv', mode: 'batch', sourceUrl: `file://${good}` });
    await page.goto('/console/#/jobs/console-acme/users-in');
    await page.getByRole('heading', { name: 'Users users-in' }).waitFor();
    await page.getByLabel('Most rejected rows before the run halts').waitFor();
    assert.equal(await page.getByRole('group', { name: /Canceled sections/ }).count(), 0);
  });

  it("sets an import's row-count guard; a value the API refuses is shown at its field; switched off, it is gone", async () => {
    await createJob('guarded');
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/guarded');
    const group = page.getByRole('group', { name: 'Unusual row count' });
    const on = group.getByRole('checkbox', { name: "Check each run's row count against the job's usual" });
    assert.equal(await on.isChecked(), false, 'off until set');
    await on.check();
    await group.getByLabel('Unusual below (% of the median)').fill('0');
    await group.getByLabel('Median of the last completed runs').fill('5');
    await group.getByLabel('Then').selectOption('halt');
    await page.getByRole('button', { name: 'Save' }).click();
    const percentError = group.locator('.field', { has: page.getByLabel('Unusual below (% of the median)') }).locator('.field-error');
    await percentError.waitFor();
    assert.match(await percentError.innerText(), />=1/);
    type Rules = { rowCountGuard?: unknown; delimiter: string };
    const guardSaved = async () => ((await api(admin, 'GET', `/domains/${domain}/jobs/guarded`)).rules as Rules).rowCountGuard;
    assert.equal(await guardSaved(), undefined, 'nothing saved');
    await group.getByLabel('Unusual below (% of the median)').fill('40');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await expectNoSeriousViolations('the row-count guard');
    let rules = (await api(admin, 'GET', `/domains/${domain}/jobs/guarded`)).rules as Rules;
    assert.deepEqual(rules.rowCountGuard, { belowPercent: 40, lastRuns: 5, action: 'halt' });
    assert.equal(rules.delimiter, ',', 'the reading rules are kept');
    await page.reload();
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/guarded');
    assert.equal(await on.isChecked(), true, 'shown as saved');
    assert.equal(await group.getByLabel('Unusual below (% of the median)').inputValue(), '40');
    assert.equal(await group.getByLabel('Then').inputValue(), 'halt');
    await on.uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    rules = await eventually(async () => {
      const r = (await api(admin, 'GET', `/domains/${domain}/jobs/guarded`)).rules as Rules;
      return r.rowCountGuard === undefined ? r : undefined;
    }, 'the guard removed');
    assert.equal(rules.delimiter, ',');
  });

  it('creates an inactive on-demand import with a term filter from the form', async () => {
    await signIn(page, admin);
    await page.getByRole('link', { name: 'New job' }).click();
    await page.getByLabel('Mode').selectOption('on-demand');
    await page.getByLabel('Identifier').fill('drop-folder');
    await page.getByLabel('Title').fill('Drop folder');
    await page.getByLabel('Source URL').fill(`file://${good}`);
    await page.getByLabel('Active (an inactive on-demand job takes no events and watches no folder)').uncheck();
    await page.getByLabel('Terms (comma-separated; none: all)').fill('2026FA,  2027SP');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Drop folder' }).waitFor();
    const job = await api(admin, 'GET', `/domains/${domain}/jobs/drop-folder`);
    assert.deepEqual([job.mode, job.active, (job.rules as { terms: string[] }).terms], ['on-demand', false, ['2026FA', '2027SP']]);
    // Inactive: an event is refused.
    const event = await sys.call(admin, 'POST', `/domains/${domain}/jobs/drop-folder/events`, {});
    assert.equal(event.status, 409, event.text);
  });

  it('pauses a job with a note and reactivates it', async () => {
    await createJob('pause-me');
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/pause-me');
    await page.getByLabel('Pause note').fill('SIS maintenance tonight');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('“SIS maintenance tonight”').waitFor();
    await page.getByRole('button', { name: 'Reactivate' }).click();
    await page.getByText('Reactivated.').waitFor();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await eventually(async () => ((await api(admin, 'GET', `/domains/${domain}/jobs/pause-me`)).paused === null ? true : undefined), 'the job to be active again');
  });

  it('ticks three jobs in the list and runs them, each row reporting its own result', async () => {
    for (const id of ['tick-1', 'tick-2', 'tick-3']) await createJob(id);
    await signIn(page, admin);
    await page.getByRole('searchbox').fill('tick-');
    await page.getByRole('row').filter({ hasText: 'tick-3' }).waitFor();
    await expectNoSeriousViolations('the job list');
    for (const id of ['tick-1', 'tick-2', 'tick-3']) await page.getByRole('checkbox', { name: `Tick ${id}` }).check();
    await page.getByRole('button', { name: 'Run now' }).click();
    for (const id of ['tick-1', 'tick-2', 'tick-3']) await row(id).getByText('Started').waitFor();
    // Each run ends; the list shows it with a tick, by polling.
    for (const id of ['tick-1', 'tick-2', 'tick-3']) await row(id).getByRole('img', { name: 'Completed', exact: true }).waitFor({ timeout: 60_000 });
    // Unread logs: the icon says so; reading them in the viewer clears it.
    await row('tick-1').getByRole('button', { name: 'Logs of tick-1 (unread)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Log of tick-1, run 1' });
    await dialog.getByRole('status').filter({ hasText: 'ended: completed' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await row('tick-1').getByRole('button', { name: 'Logs of tick-1', exact: true }).waitFor();
    // The status toggles hide rows by their icon.
    await page.getByRole('button', { name: 'Completed', exact: true }).click();
    await page.getByText('No job matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Completed', exact: true }).click();
    await page.getByRole('searchbox').fill('');
    await row('nightly-sections').waitFor();
    await screenshot(page, 'job-list');
  });

  it('asks the API for the open list once every 5 seconds, no more', async () => {
    await signIn(page, reader);
    await row('nightly-sections').waitFor();
    const asked: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.endsWith('/jobs')) asked.push(r.url());
    });
    await page.waitForTimeout(11_000);
    assert.ok(asked.length >= 1 && asked.length <= 3, `${asked.length} list requests in 11 s`);
  });

  it("shows a failed run's reason on hover, on the job's status icon and in its last five runs", async () => {
    await createJob('fails', { sourceUrl: `file://${path.join(sys.areaOf(domain), 'not-there.csv')}` });
    await api(admin, 'POST', `/domains/${domain}/jobs/fails/run`);
    const run = await eventually(async () => {
      const r = await api(admin, 'GET', `/domains/${domain}/jobs/fails/runs/1`);
      return r.endedAt ? r : undefined;
    }, 'the run to end');
    assert.ok(['failed', 'halted'].includes(String(run.status)), String(run.status));
    const reason = String(run.reason);
    assert.match(reason, /not-there\.csv/);
    const said = `${run.status === 'failed' ? 'Failed' : 'Halted'}: ${reason}`;
    await signIn(page, reader);
    await page.getByRole('searchbox').fill('fails');
    const status = row('fails').getByRole('img', { name: said, exact: true }).first();
    await status.hover();
    assert.equal(await status.getAttribute('title'), said);
    const lastRun = row('fails').locator('.last-runs').getByRole('img');
    assert.equal(await lastRun.count(), 1);
    await lastRun.hover();
    assert.equal(await lastRun.getAttribute('title'), `${run.status === 'failed' ? 'Failed' : 'Halted'}: run 1: ${reason}`);
    // The job's page says it on its icon too.
    await row('fails').getByRole('link', { name: 'Sections fails' }).click();
    await page.getByRole('heading', { name: 'Sections fails' }).waitFor();
    assert.equal(await page.locator('.page-head').getByRole('img').getAttribute('title'), said);
  });

  it('narrows the list by mode and by task type', async () => {
    await createJob('narrow-batch');
    // Inactive, and watching a folder of its own: an active on-demand import would take the files it finds.
    const inbox = path.join(sys.areaOf(domain), 'narrow-inbox');
    fs.mkdirSync(inbox, { recursive: true });
    await createJob('narrow-demand', { mode: 'on-demand', active: false, sourceUrl: `file://${inbox}/` });
    await api(admin, 'POST', `/domains/${domain}/jobs`, { id: 'narrow-users', name: 'Users narrow-users', taskType: 'usersCsv', mode: 'batch', sourceUrl: `file://${good}` });
    await signIn(page, reader);
    await page.getByRole('searchbox').fill('narrow-');
    await page.getByText('3 shown of 3').waitFor();
    const shownIds = async () => (await page.getByRole('region', { name: 'Jobs' }).locator('tbody .sub.mono').allInnerTexts()).sort();
    await page.getByLabel('Mode').selectOption('on-demand');
    await page.getByText('1 shown of 1').waitFor();
    assert.deepEqual(await shownIds(), ['narrow-demand']);
    await page.getByLabel('Mode').selectOption('batch');
    await page.getByText('2 shown of 2').waitFor();
    assert.deepEqual(await shownIds(), ['narrow-batch', 'narrow-users']);
    await page.getByLabel('Task type').selectOption('usersCsv');
    await page.getByText('1 shown of 1').waitFor();
    assert.deepEqual(await shownIds(), ['narrow-users']);
    await page.getByLabel('Mode').selectOption('on-demand');
    await page.getByText('No job matches these filters.').waitFor();
    await page.getByLabel('Mode').selectOption('');
    await page.getByLabel('Task type').selectOption('sectionsCsv');
    await page.getByText('2 shown of 2').waitFor();
    assert.deepEqual(await shownIds(), ['narrow-batch', 'narrow-demand']);
  });

  it('shows a read-only user no action controls', async () => {
    await signIn(page, reader);
    await row('nightly-sections').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Run now' }).count(), 0);
    assert.equal(await page.getByRole('checkbox').count(), 0);
    assert.equal(await page.getByRole('link', { name: 'New job' }).count(), 0);
    await page.getByRole('link', { name: 'Sections nightly-sections' }).click();
    await page.getByRole('heading', { name: 'Sections nightly-sections' }).waitFor();
    for (const name of ['Run now', 'Pause', 'Reactivate', 'Save', 'Delete job']) assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    assert.ok(await page.getByLabel('Name').isDisabled(), 'the fields are read-only');
    assert.equal(await page.getByRole('tab', { name: 'Credentials' }).count(), 0);
    await page.getByRole('tab', { name: 'Scheduling' }).click();
    await page.getByText('Runs every weekday at 06:00 (Europe/Paris).').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save schedule' }).count(), 0);
    await expectNoSeriousViolations('the scheduling tab (read-only)');
  });

  it("does not reach another domain's job", async () => {
    await signIn(page, admin);
    await page.goto(`/console/#/jobs/${other}/secret-job`);
    await page.getByText(`There is no job secret-job in domain ${other} for this token.`).waitFor();
    assert.equal(await page.getByText('Globex job').count(), 0);
    // A system administrator sees both domains in one list, and can narrow it to one.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').fill(system);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Same address, another token: the system administrator does see that job.
    await page.getByRole('heading', { name: 'Globex job' }).waitFor();
    // In the list (every domain: other suites' too), found by its name, and gone when the list is narrowed to another domain.
    await page.getByRole('link', { name: 'Jobs', exact: true }).first().click();
    await page.getByRole('searchbox').fill('secret-job');
    await row('secret-job').getByText(other, { exact: true }).waitFor();
    await page.getByLabel('Domain', { exact: true }).fill(domain);
    await page.getByText('No job matches these filters.').waitFor();
    await page.getByLabel('Domain', { exact: true }).fill(other);
    await row('secret-job').waitFor();
  });

  it('samples a Latin-1 file with semicolons, shows the proposal and a preview, and accepts it', async () => {
    await createJob('latin1-import');
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/latin1-import');
    await page.getByRole('link', { name: 'Sample file', exact: true }).click();
    await page.getByRole('heading', { name: 'Sample file' }).waitFor();
    // The registrar's export: Latin-1, semicolons, and the title column named in French.
    const header = SECTIONS_HEADER.replace(',title,', ',Intitulé,');
    const lines = [header, sectionLine(1).replace('Course 1 title', 'Économie générale'), sectionLine(2), sectionLine(3)].map((l) => l.replace(/,/g, ';'));
    await page.getByLabel('Sample file').setInputFiles({ name: 'sections-latin1.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n') + '\r\n', 'latin1') });
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    await page.getByRole('heading', { name: 'Proposal' }).waitFor();
    assert.equal(await page.getByLabel('Encoding').inputValue(), 'latin1');
    assert.equal(await page.getByLabel('Delimiter').inputValue(), ';');
    await page.getByLabel('Field for column section_id').locator('option[value="title"]').waitFor({ state: 'attached' });
    assert.equal(await page.getByLabel('Field for column section_id').inputValue(), 'section_id');
    // The administrator maps the French column onto the title field.
    await page.getByLabel('Field for column Intitulé').selectOption('title');
    // The preview and problems follow the edit once checked again.
    await page.getByRole('button', { name: 'Check again with my changes' }).click();
    await page.getByText('No problems: the proposal validates.').waitFor();
    await page.getByRole('cell', { name: 'Économie générale' }).waitFor();
    await expectNoSeriousViolations('the sample page');
    await screenshot(page, 'sample-file', { fullPage: true });
    await page.getByRole('button', { name: 'Accept these rules' }).click();
    await page.getByText('Rules saved with the job.').waitFor();
    const job = await api(admin, 'GET', `/domains/${domain}/jobs/latin1-import`);
    const rules = job.rules as { encoding: string; delimiter: string; mapping: Record<string, string> };
    assert.equal(rules.encoding, 'latin1');
    assert.equal(rules.delimiter, ';');
    assert.equal(rules.mapping['Intitulé'], 'title');
    // The job imports that file with those rules: the accented title arrives as written.
    const run = await importWith('latin1-import', 'latin1.csv', Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'));
    assert.equal(run.status, 'completed', String(run.reason));
    const { rows } = await sys.db.query("select title from sections where domain = $1 and section_id = 'S1'", [domain]);
    assert.deepEqual(rows, [{ title: 'Économie générale' }]);
  });

  it('reads a headerless sample split by ~ with \' quotes: delimiter, quote and header chosen, checked again, accepted and imported', async () => {
    await createJob('tilde-import');
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/tilde-import/sample');
    await page.getByRole('heading', { name: 'Sample file' }).waitFor();
    // No header line, fields split by ~, a title holding a ~ inside ' quotes.
    const lines = [1, 2, 3].map((i) => sectionLine(i, 'T').split(',').map((v, k) => (k === 3 ? `'${i === 1 ? 'Algebra ~ Geometry' : v}'` : v)).join('~'));
    const sample = Buffer.from(lines.join('\n') + '\n');
    await page.getByLabel('Sample file').setInputFiles({ name: 'tilde.txt', mimeType: 'text/csv', buffer: sample });
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    await page.getByRole('heading', { name: 'Proposal' }).waitFor();
    // Read as proposed (a header line, commas), the file makes no sense: the problems say so.
    await page.getByRole('status').filter({ hasText: 'Problems:' }).getByText(/No column of .* maps to section_id/).waitFor();
    await page.getByLabel('Delimiter', { exact: true }).selectOption('other');
    await page.getByLabel('Other delimiter (1 to 4 characters)').fill('~');
    await page.getByLabel('First line is a header').uncheck();
    await page.getByText("Without a header line, the columns are read in the order of the task type's fields: section_id, course_code").waitFor();
    // A bad choice is refused at its field: an empty quote, then a quote inside the delimiter.
    await page.getByLabel('Quote character').fill('');
    await page.getByRole('button', { name: 'Check again with my changes' }).click();
    const quoteError = page.locator('.field', { has: page.getByLabel('Quote character') }).locator('.field-error');
    await quoteError.waitFor();
    await page.getByLabel('Quote character').fill('~');
    await page.getByRole('button', { name: 'Check again with my changes' }).click();
    await quoteError.filter({ hasText: 'the quote "~" is part of the delimiter "~"' }).waitFor();
    await page.getByLabel('Quote character').fill("'");
    await page.getByRole('button', { name: 'Check again with my changes' }).click();
    await page.getByText('No problems: the proposal validates.').waitFor();
    assert.equal(await quoteError.count(), 0, 'the quote error is gone');
    // The file's own line numbers, and the quoted ~ kept inside its value.
    await page.getByRole('cell', { name: 'Algebra ~ Geometry' }).waitFor();
    const preview = page.getByRole('region', { name: 'Preview' });
    assert.deepEqual(await preview.locator('tbody tr td:first-child').allInnerTexts(), ['1', '2', '3']);
    assert.equal(await page.getByLabel('Other delimiter (1 to 4 characters)').inputValue(), '~', 'the proposal keeps the chosen delimiter');
    assert.equal(await page.getByLabel('First line is a header').isChecked(), false);
    await expectNoSeriousViolations('the sample page with a typed delimiter and no header');
    await page.getByRole('button', { name: 'Accept these rules' }).click();
    await page.getByText('Rules saved with the job.').waitFor();
    const job = await api(admin, 'GET', `/domains/${domain}/jobs/tilde-import`);
    const rules = job.rules as { delimiter: string; quote: string; header: boolean };
    assert.deepEqual([rules.delimiter, rules.quote, rules.header], ['~', "'", false]);
    // The job's page says how it reads its files, and the import reads the file that way.
    await page.goto('/console/#/jobs/console-acme/tilde-import');
    await page.getByText("UTF-8, \"~\", quoted with ', no header line").waitFor();
    const run = await importWith('tilde-import', 'tilde.txt', sample);
    assert.equal(run.status, 'completed', String(run.reason));
    const { rows } = await sys.db.query("select title from sections where domain = $1 and section_id = 'T1'", [domain]);
    assert.deepEqual(rows, [{ title: 'Algebra ~ Geometry' }]);
  });

  it("reads the job's own source, and lists the problems of a sample with a bad row", async () => {
    await createJob('from-source', { sourceUrl: `file://${good}` });
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/from-source/sample');
    await page.getByRole('heading', { name: 'Sample file' }).waitFor();
    await page.getByRole('button', { name: 'Read from the source' }).click();
    await page.getByRole('heading', { name: 'Proposal' }).waitFor();
    await page.getByText('No problems: the proposal validates.').waitFor();
    assert.equal(await page.getByLabel('Encoding').inputValue(), 'utf-8');
    assert.equal(await page.getByLabel('Delimiter', { exact: true }).inputValue(), ',');
    assert.equal(await page.getByLabel('Quote character').inputValue(), '"');
    assert.equal(await page.getByLabel('First line is a header').isChecked(), true);
    await page.getByRole('cell', { name: 'Course 1 title', exact: true }).waitFor();
    await page.getByText('Setup status: ready').waitFor();
    // A sample whose third line has a capacity that is no number.
    await page.getByLabel('Sample file').setInputFiles({ name: 'with-rejects.csv', mimeType: 'text/csv', buffer: fs.readFileSync(withRejects) });
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    const problemsList = page.getByRole('status').filter({ hasText: 'Problems:' }).getByRole('listitem');
    await problemsList.first().waitFor();
    const problemTexts = await problemsList.allInnerTexts();
    assert.equal(problemTexts.length, 1, problemTexts.join(' | '));
    assert.match(problemTexts[0]!, /^Line 3 would be rejected: capacity: /);
    const rejected = page.getByRole('region', { name: 'Preview' }).locator('tr.rejected');
    assert.equal(await rejected.count(), 1);
    assert.match(await rejected.innerText(), /^3\s[\s\S]*capacity: /);
    await page.getByText('Setup status: sampling failed').waitFor();
    await expectNoSeriousViolations('the sample page with problems');
  });

  it("exports the domain's schedules as OPML and imports the file back", async () => {
    await signIn(page, admin);
    await page.getByRole('link', { name: 'Schedules' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export OPML' }).click()]);
    const opml = fs.readFileSync(await download.path(), 'utf8');
    assert.match(opml, /<opml[\s\S]*nightly-sections/);
    await page.getByLabel('OPML file to import').setInputFiles({ name: 'schedules.opml', mimeType: 'text/x-opml', buffer: Buffer.from(opml) });
    await page.getByRole('button', { name: 'Import OPML' }).click();
    const said = page.getByRole('status').filter({ hasText: 'Unchanged:' });
    await said.waitFor();
    assert.match(await said.innerText(), /nightly-sections/);
  });

  it('lets a system administrator create a token, shown once, that signs in, and revoke it', async () => {
    await signIn(page, system);
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('registrar desk');
    await page.getByRole('combobox', { name: 'Role' }).selectOption('read_only');
    await page.getByRole('textbox', { name: 'Domain' }).fill(domain);
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.locator('code.token');
    await shown.waitFor();
    const token = await shown.innerText();
    assert.equal((await sys.call(token, 'GET', '/me')).json?.role, 'read_only');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke registrar desk' }).click();
    await page.getByRole('button', { name: 'Revoke registrar desk' }).waitFor({ state: 'detached' });
    assert.equal((await sys.call(token, 'GET', '/me')).status, 401);
  });

  it('passes axe on the remaining pages: scheduling, credentials, schedules, tokens', async () => {
    await signIn(page, system);
    await page.goto('/console/#/jobs/console-acme/nightly-sections?tab=scheduling');
    await page.getByText('Runs every weekday at 06:00 (Europe/Paris).').waitFor();
    await expectNoSeriousViolations('the scheduling tab');
    await page.getByRole('tab', { name: 'Credentials' }).click();
    await page.getByLabel('Password').waitFor();
    await expectNoSeriousViolations('the credentials tab');
    await page.getByRole('link', { name: 'Schedules' }).click();
    await page.getByRole('heading', { name: 'Schedules (OPML)' }).waitFor();
    await expectNoSeriousViolations('the schedules page');
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('heading', { name: 'Tokens' }).waitFor();
    await page.getByRole('cell', { name: 'domain_admin@console-acme' }).first().waitFor();
    await expectNoSeriousViolations('the tokens page');
  });
  it('lists the next runs in words from the schedule being edited, with the server\'s four-a-day rule, before saving', async () => {
    await createJob('plan-me', { scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], times: ['06:00'], timezone: 'Europe/Paris' } } });
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/plan-me?tab=scheduling');
    const nextRuns = page.getByRole('list', { name: 'Next runs' }).getByRole('listitem');
    await nextRuns.first().waitFor();
    const shown = async () => nextRuns.allInnerTexts();
    assert.equal((await shown()).length, 5);
    for (const w of await shown()) assert.match(w, /^(Mon|Tue|Wed|Thu|Fri) \d{1,2} [A-Z][a-z]{2}, 06:00 Europe\/Paris$/, w);
    await page.getByText('Up to 1 run a day; a batch import may run at most 4 times a day.').waitFor();
    // Edited, not saved: Saturdays at 07:30. The list follows the draft.
    for (const d of ['mon', 'tue', 'wed', 'thu', 'fri']) await page.getByRole('checkbox', { name: d, exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'sat', exact: true }).check();
    await page.getByLabel('Times (HH:MM, comma-separated)').fill('07:30');
    await eventually(async () => ((await shown()).every((w) => /^Sat \d{1,2} [A-Z][a-z]{2}, 07:30 Europe\/Paris$/.test(w)) ? true : undefined), 'the next runs of the draft');
    // Five a day: the server's rule, in the words a save would be refused with, before saving.
    await page.getByLabel('Times (HH:MM, comma-separated)').fill('06:00, 09:00, 12:00, 15:00, 18:00');
    await page.getByRole('alert').filter({ hasText: 'A batch import runs at most 4 times a day; this schedule runs it 5 times.' }).waitFor();
    await page.getByText('Up to 5 runs a day; a batch import may run at most 4 times a day.').waitFor();
    // A time that is no time: said at its field while editing.
    await page.getByLabel('Times (HH:MM, comma-separated)').fill('25:00');
    const timesError = page.locator('.field', { has: page.getByLabel('Times (HH:MM, comma-separated)') }).locator('.field-error');
    await timesError.filter({ hasText: '"25:00" is not a time of day as HH:MM (24-hour)' }).waitFor();
    assert.equal(await nextRuns.count(), 0, 'no runs listed for a schedule that cannot run');
    const before = await api(admin, 'GET', `/domains/${domain}/jobs/plan-me`);
    assert.deepEqual((before.scheduling as { timing: { times: string[] } }).timing.times, ['06:00'], 'nothing saved while editing');
    await page.getByLabel('Times (HH:MM, comma-separated)').fill('07:30');
    await eventually(async () => ((await shown()).length === 5 && (await shown()).every((w) => w.endsWith('07:30 Europe/Paris')) ? true : undefined), 'the runs listed again');
    await expectNoSeriousViolations('the scheduling tab with its next runs');
    await screenshot(page, 'job-scheduling');
    const listed = await page.getByRole('list', { name: 'Next runs' }).locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Saved.').waitFor();
    // What the page listed is what Temporal's schedule then starts.
    const desc = await sys.client.schedule.getHandle(jobScheduleId(domain, 'plan-me')).describe();
    assert.deepEqual(desc.info.nextActionTimes.slice(0, listed.length).map((d) => d.toISOString()), listed);
  });

  it('filters by status icon on the server: a match on a later page is shown, counted with the others', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `paged-${String(i).padStart(2, '0')}`);
    await mapBounded(ids, 4, (id) => createJob(id));
    // The last by identifier runs: on the list's second page of 20.
    await api(admin, 'POST', `/domains/${domain}/jobs/paged-22/run`);
    await eventually(async () => ((await api(admin, 'GET', `/domains/${domain}/jobs/paged-22/runs/1`)).endedAt ? true : undefined), 'the run to end');
    await signIn(page, reader);
    await page.getByLabel('Rows per page').selectOption('20');
    await page.getByRole('searchbox').fill('paged-');
    await page.getByText('20 shown of 23').waitFor();
    assert.equal(await row('paged-22').count(), 0, 'paged-22 is on the second page');
    await page.getByRole('button', { name: 'Not run yet', exact: true }).click();
    await page.getByText('1 shown of 1').waitFor();
    await row('paged-22').getByRole('img', { name: 'Completed', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Not run yet', exact: true }).click();
    await page.getByRole('button', { name: 'Completed', exact: true }).click();
    await page.getByText('20 shown of 22').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('2 shown of 22').waitFor();
    assert.equal(await row('paged-22').count(), 0);
  });

  it('pauses ticked jobs with a note and reactivates them through the bulk routes, each row reporting its own result', async () => {
    for (const id of ['bulk-1', 'bulk-2', 'bulk-3']) await createJob(id);
    await api(admin, 'POST', `/domains/${domain}/jobs/bulk-3/pause`, { note: 'already' });
    await signIn(page, admin);
    await page.getByRole('searchbox').fill('bulk-');
    await row('bulk-3').waitFor();
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') asked.push(new URL(r.url()).pathname);
    });
    for (const id of ['bulk-1', 'bulk-2', 'bulk-3']) await page.getByRole('checkbox', { name: `Tick ${id}` }).check();
    await page.getByLabel('Pause note').fill('Registrar closing the term');
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await row('bulk-1').getByText('Paused', { exact: true }).waitFor();
    await row('bulk-2').getByText('Paused', { exact: true }).waitFor();
    await row('bulk-3').getByText('Already paused', { exact: true }).waitFor();
    assert.deepEqual(asked, [`/domains/${domain}/jobs/pause`], 'one request to the bulk route');
    const one = await api(admin, 'GET', `/domains/${domain}/jobs/bulk-1`);
    assert.equal((one.paused as { note: string }).note, 'Registrar closing the term');
    const three = await api(admin, 'GET', `/domains/${domain}/jobs/bulk-3`);
    assert.equal((three.paused as { note: string }).note, 'already', 'who paused it first keeps the note');
    await page.getByRole('checkbox', { name: 'Tick bulk-2' }).uncheck();
    await page.getByRole('button', { name: 'Reactivate', exact: true }).click();
    await row('bulk-1').getByText('Reactivated', { exact: true }).waitFor();
    await row('bulk-3').getByText('Reactivated', { exact: true }).waitFor();
    assert.deepEqual(asked, [`/domains/${domain}/jobs/pause`, `/domains/${domain}/jobs/reactivate`]);
    assert.equal((await api(admin, 'GET', `/domains/${domain}/jobs/bulk-2`)).paused !== null, true, 'the unticked job stays paused');
    assert.equal((await api(admin, 'GET', `/domains/${domain}/jobs/bulk-1`)).paused, null);
  });

  it('deletes a job from its page once the deletion is confirmed', async () => {
    await createJob('delete-me');
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/delete-me');
    await page.getByRole('button', { name: 'Delete job' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm the deletion' });
    await confirm.getByText('Delete delete-me with its runs, logs and credentials? This cannot be undone.').waitFor();
    await expectNoSeriousViolations('the job page asking to confirm a deletion');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    assert.equal((await sys.call(admin, 'GET', `/domains/${domain}/jobs/delete-me`)).status, 200, 'kept');
    await page.getByRole('button', { name: 'Delete job' }).click();
    await page.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByText('Deleted console-acme/delete-me.').waitFor();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    assert.equal((await sys.call(admin, 'GET', `/domains/${domain}/jobs/delete-me`)).status, 404);
    await page.getByRole('searchbox').fill('delete-me');
    await page.getByText('No job matches these filters.').waitFor();
  });

  it("shows the audit trail: the domain's own to its users, every domain's to system administrators", async () => {
    await createJob('audited');
    await api(admin, 'POST', `/domains/${domain}/jobs/audited/run`);
    await signIn(page, reader);
    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    const entries = page.getByRole('region', { name: 'Audit entries' }).getByRole('row');
    const entry = (action: string, target: string) => entries.filter({ has: page.getByText(action, { exact: true }) }).filter({ has: page.getByText(target, { exact: true }) });
    await entry('runJob', 'jobs/audited/run').first().waitFor();
    await entry('createJob', 'jobs/audited').first().waitFor();
    assert.equal(await page.getByText(other, { exact: true }).count(), 0, "another domain's entries are not shown");
    await expectNoSeriousViolations('the audit page');
    await page.getByLabel('Action').selectOption('createJob');
    await entry('runJob', 'jobs/audited/run').first().waitFor({ state: 'detached' });
    await entry('createJob', 'jobs/audited').first().waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, system);
    await page.goto('/console/#/audit');
    // Every domain's entries at first; narrowed to one domain, the other's go.
    await entry('runJob', 'jobs/audited/run').first().waitFor();
    await page.getByLabel('Domain', { exact: true }).fill(other);
    await entry('runJob', 'jobs/audited/run').first().waitFor({ state: 'detached' });
    await entry('createJob', 'jobs/secret-job').waitFor();
    await page.getByLabel('Domain', { exact: true }).fill(domain);
    await entry('runJob', 'jobs/audited/run').first().waitFor();
    await screenshot(page, 'audit');
  });

  it('sets a credential without ever showing it again, and links the job and its runs to Temporal Web', async () => {
    await createJob('linked');
    await api(admin, 'POST', `/domains/${domain}/jobs/linked/run`);
    await signIn(page, admin);
    await page.goto('/console/#/jobs/console-acme/linked?tab=credentials');
    await page.getByLabel('Password').fill('s3cret-ftp-password');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the field is emptied');
    await page.getByText(/^For ftp:\/ftps: destinations .* Set /).waitFor();
    assert.ok(!(await page.content()).includes('s3cret-ftp-password'), 'the value is nowhere in the page');
    const secrets = await api(admin, 'GET', `/domains/${domain}/jobs/linked/secrets`);
    assert.deepEqual((secrets.items as { kind: string }[]).map((x) => x.kind), ['password']);
    const ns = sys.client.options.namespace;
    const jobLink = page.getByRole('link', { name: 'Open in Temporal Web' });
    assert.equal(await jobLink.getAttribute('href'), `http://temporal-web.test/namespaces/${ns}/workflows/job-${domain}-linked`);
    await page.getByRole('tab', { name: 'Latest executions' }).click();
    const runLink = page.getByRole('link', { name: 'Temporal Web', exact: true }).first();
    await runLink.waitFor();
    assert.match((await runLink.getAttribute('href'))!, new RegExp(`^http://temporal-web\\.test/namespaces/${ns}/workflows/run-${domain}-linked-1$`));
  });
});
