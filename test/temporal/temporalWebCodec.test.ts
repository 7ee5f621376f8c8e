import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { startApi } from '../../api/server';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { spawnServer, stopServer } from '../../infra/childProcesses';
import { loadConfig } from '../../infra/config';
import { freePort, waitForPort } from '../../infra/ports';
import { cliSettings, findOrInstallCli } from '../../infra/temporalCli';
import { SERVER_DYNAMIC_CONFIG } from '../../infra/temporalServer';
import { ensureSearchAttributes } from '../../temporal/searchAttributes';
import { launchBrowser } from '../console/browser';
import { createJob } from '../setup/jobs';
import { startSystem, type TestSystem } from '../setup/system';

/**
 * Temporal Web itself, pointed at the API's codec server: the Temporal CLI's dev server with its
 * UI (`--ui-codec-endpoint <api>/codec`), a job with encryption on, and Chromium. Signed in at
 * /codec/signin, the browser's codec session lets Temporal Web show the job workflow's input
 * decrypted; a browser that has not signed in sees no plaintext.
 */
describe('Temporal Web decodes payloads with a codec session (Chromium)', function () {
  this.timeout(180_000);
  let server: ChildProcess | undefined;
  let sys: TestSystem | undefined;
  let api: { url: string; close(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  let web: string;
  let apiUrl: string;
  let token: string;
  const jobName = `Scholarship ledger ${crypto.randomUUID().slice(0, 8)}`;

  before(async () => {
    const [port, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    // Browser addresses on one site (localhost), as Temporal Web and the API must be for the SameSite=Strict cookie.
    web = `http://localhost:${uiPort}`;
    apiUrl = `http://localhost:${apiPort}`;
    const cli = await findOrInstallCli(cliSettings(loadConfig()));
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--ui-codec-endpoint', `${apiUrl}/codec`, '--log-level', 'warn'];
    for (const [key, value] of Object.entries(SERVER_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
    server = spawnServer(cli, args, { stdio: 'ignore', stopSignal: 'SIGTERM' });
    await waitForPort('127.0.0.1', port, 60_000);
    await waitForPort('127.0.0.1', uiPort, 60_000);
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    await ensureSearchAttributes(connection, 'default');
    await connection.close();

    sys = await startSystem({ temporalAddress: `127.0.0.1:${port}`, settings: { PAYLOAD_CODEC_KEYS: `web:${crypto.randomBytes(32).toString('base64')}` } });
    // The API as the browser reaches it, allowing Temporal Web's origin.
    api = await startApi({ orm: sys.orm, temporal: sys.client, config: { ...sys.config, TEMPORAL_WEB_URL: web } }, '127.0.0.1', apiPort);
    token = await sys.token('system_admin');
    const admin = await sys.token('domain_admin', 'web');
    await createJob(sys, admin, 'web', { id: 'ledger', name: jobName, mode: 'batch', sourceUrl: `file://${sys.areaOf('web')}/ledger.csv` });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    await sys?.stop();
    if (server) await stopServer(server, 10_000);
  });

  /** A fresh browser whose Temporal Web sends cookies to the codec server (the UI's own setting; compose sets it with TEMPORAL_CODEC_INCLUDE_CREDENTIALS). */
  async function newBrowserPage() {
    const context = await browser!.newContext({ viewport: { width: 1440, height: 1000 } });
    await context.addInitScript({ content: `if (location.origin === ${JSON.stringify(web)}) {
      localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(`${apiUrl}/codec`))});
      localStorage.setItem('includeCredentials', 'true');
      localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
    }` });
    const page = await context.newPage();
    const decodes: number[] = [];
    page.on('response', (r) => { if (r.url().startsWith(`${apiUrl}/codec/decode`)) decodes.push(r.status()); });
    return { context, page, decodes };
  }

  /** How many elements show `text`, in the page and in its frames (Temporal Web renders Markdown in frames). */
  async function shownInAnyFrame(page: Page, text: string): Promise<number> {
    let n = 0;
    for (const frame of page.frames()) n += await frame.getByText(text).count().catch(() => 0);
    return n;
  }

  const workflowPage = () => `${web}/namespaces/default/workflows/${jobWorkflowId('web', 'ledger')}`;

  it('shows the job workflow\'s input decrypted once the browser has signed in at /codec/signin', async () => {
    const { context, page, decodes } = await newBrowserPage();
    try {
      await page.goto(`${apiUrl}/codec/signin`);
      await page.fill('input[name=token]', token);
      await Promise.all([page.waitForURL(`${apiUrl}/codec/session`), page.click('button[type=submit]')]);
      assert.match(await page.textContent('h1') ?? '', /Signed in/, await page.textContent('body') ?? '');
      const cookies = await context.cookies(`${apiUrl}/codec/decode`);
      const session = cookies.find((c) => c.name === 'jobflow_codec_session');
      assert.ok(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/codec', JSON.stringify(cookies));

      await page.goto(workflowPage());
      await page.getByText(jobName).first().waitFor({ timeout: 60_000 });
      if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/temporal-web-decoded.png`, fullPage: true });
      assert.ok(decodes.length > 0 && decodes.every((s) => s === 200), `codec answers: ${decodes.join(', ')}`);
      // Its summary and current details, encrypted like every payload, decoded too.
      // Temporal Web renders user metadata as Markdown, at times in a frame of its own: look in every frame.
      await page.getByText('User Metadata').first().click();
      const summary = `Job ${jobName} (web/ledger)`;
      for (let waited = 0; (await shownInAnyFrame(page, summary)) === 0; waited += 250) {
        if (waited >= 30_000) {
          const text = (await page.locator('main').innerText().catch(() => '')).slice(0, 2_000);
          assert.fail(`the job's summary is not shown\ncodec answers: ${decodes.join(', ')}\nframes: ${page.frames().length}\npage: ${text}`);
        }
        await page.waitForTimeout(250);
      }
      if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/temporal-web-metadata.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('shows no plaintext to a browser that has not signed in (the codec server answers 401)', async () => {
    const { context, page, decodes } = await newBrowserPage();
    try {
      await page.goto(workflowPage());
      for (let waited = 0; !decodes.length && waited < 60_000; waited += 250) await page.waitForTimeout(250);
      await page.waitForTimeout(2_000);
      assert.ok(decodes.length > 0, 'Temporal Web asked the codec server');
      assert.ok(decodes.every((s) => s === 401), `codec answers: ${decodes.join(', ')}`);
      assert.equal(await shownInAnyFrame(page, jobName), 0);
    } finally {
      await context.close();
    }
  });
});
