import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import pg from 'pg';
import { chromium, type Page } from 'playwright-core';
import { createToken } from '../api/http/auth';
import { JobService } from '../api/commands/jobService';
import { createJobBody } from '../api/http/schemas';
import { startApi } from '../api/server';
import { migrate, openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { logger } from '../infra/logger';
import { mapBounded } from '../infra/mapBounded';
import { ensurePostgres, recreateDatabase, withDatabase } from '../infra/postgres';
import { freePort } from '../infra/ports';
import { cliSettings } from '../infra/temporalCli';
import { ensureTemporal } from '../infra/temporalServer';
import { connectClient, targetFor } from '../temporal/connection';
import { connectWorker } from '../worker/connection';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { createWorker } from '../worker/createWorker';

/**
 * npm run bench:console — the console in Debian's Chromium with BENCH_JOBS (default 1,000)
 * jobs, each a live job workflow: the job list's first paint (from the sign-in click to the
 * first rows on screen) and a filter change (from typing to the matching rows on screen; from
 * switching a status icon off to the list the server filtered over every job), each goal under
 * 1 s, printed beside the API's own time for the same request (measured from Node);
 * then how many list requests an open list makes in 30 s (goal: one every few seconds).
 * Its own database (jobflow_bench_console) and a dev server on a free port.
 */

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DOMAIN = 'bench';
const GOAL_MS = 1000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (v: number) => `${v.toFixed(0)} ms`;

async function apiTime(url: string, token: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return performance.now() - t;
}

async function main() {
  // The on-demand jobs' source watches end with the worker: expected, not worth a line each.
  logger.level = process.env.LOG_LEVEL ?? 'error';
  const config = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? 'data/bench' });
  const server = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  const dbUrl = withDatabase(server.url, 'jobflow_bench_console');
  await recreateDatabase(withDatabase(server.url, 'postgres'), 'jobflow_bench_console');
  const orm = await openOrm(dbUrl);
  await migrate(orm, config);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
  const temporal = await ensureTemporal({ address: config.TEMPORAL_ADDRESS, ...cliSettings(config), port: await freePort(), namespace: config.TEMPORAL_NAMESPACE });
  const target = targetFor(config.temporal, temporal);
  const client = await connectClient(target);
  await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
  const taskQueue = `bench-console-${crypto.randomUUID()}`;
  const deps = { orm, pool, temporal: client, config: { ...config, TEMPORAL_TASK_QUEUE: taskQueue } };
  const connection = await connectWorker(target);
  const worker = await createWorker({ connection, namespace: target.namespace, taskQueue, deps, payloadCodecKeys: target.payloadCodecKeys });
  const running = worker.run();
  const api = await startApi({ orm, temporal: client, config: deps.config }, '127.0.0.1', 0);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    let t = Date.now();
    const service = new JobService(deps);
    const area = path.join(config.fileRoots[0] ?? path.resolve('data/files'), DOMAIN);
    fs.mkdirSync(area, { recursive: true, mode: 0o700 });
    const source = `file://${path.join(area, 'sections.csv')}`;
    await mapBounded(Array.from({ length: JOBS }, (_, i) => i), 16, (i) =>
      service.create(DOMAIN, createJobBody.parse({ id: `job-${String(i).padStart(4, '0')}`, name: `Bench job ${i}`, taskType: 'sectionsCsv', mode: i % 10 === 0 ? 'on-demand' : 'batch', sourceUrl: source })),
    );
    console.log(`Created ${JOBS} jobs (each a job workflow) in ${((Date.now() - t) / 1000).toFixed(1)} s.`);
    const { token } = await createToken(orm, { name: 'bench', role: 'domain_admin', domain: DOMAIN });
    // Every job workflow answers once before measuring, as in bench:api.
    t = Date.now();
    await mapBounded(Array.from({ length: JOBS }, (_, i) => i), 8, (i) => apiTime(`${api.url}/domains/${DOMAIN}/jobs/job-${String(i).padStart(4, '0')}`, token));
    console.log(`Warmed up in ${((Date.now() - t) / 1000).toFixed(1)} s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}.`);

    const firstPaint: number[] = [];
    const filterChange: number[] = [];
    const listApi: number[] = [];
    const filterApi: number[] = [];
    const iconChange: number[] = [];
    const iconApi: number[] = [];
    let page: Page | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const context = await browser.newContext({ baseURL: api.url, viewport: { width: 1440, height: 900 } });
      page = await context.newPage();
      await page.goto('/console/');
      await page.getByLabel('Token').fill(token);
      let start = performance.now();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Bench job 1', exact: true }).waitFor();
      firstPaint.push(performance.now() - start);
      listApi.push(await apiTime(`${api.url}/domains/${DOMAIN}/jobs?limit=200&offset=0`, token));

      start = performance.now();
      await page.getByRole('searchbox').fill('job-09');
      await page.getByText('100 shown of 100').waitFor();
      filterChange.push(performance.now() - start);
      filterApi.push(await apiTime(`${api.url}/domains/${DOMAIN}/jobs?limit=200&offset=0&q=job-09`, token));

      // A status icon switched off: filtered on the server over all the jobs (none has run, so none is left).
      await page.getByRole('searchbox').fill('');
      await page.getByText(`200 shown of ${JOBS}`).waitFor();
      start = performance.now();
      await page.getByRole('button', { name: 'Not run yet', exact: true }).click();
      await page.getByText('0 shown of 0').waitFor();
      iconChange.push(performance.now() - start);
      iconApi.push(await apiTime(`${api.url}/domains/${DOMAIN}/jobs?limit=200&offset=0&icon=running,completed,warnings,failed,canceled`, token));
      await page.getByRole('button', { name: 'Not run yet', exact: true }).click();
      await page.getByText(`200 shown of ${JOBS}`).waitFor();
      if (round < ROUNDS - 1) await context.close();
    }
    const line = (what: string, xs: number[], apiXs: number[]) =>
      `${what.padEnd(44)} median ${ms(median(xs)).padStart(7)}  worst ${ms(Math.max(...xs)).padStart(7)}   API alone: median ${ms(median(apiXs))}   ${Math.max(...xs) < GOAL_MS ? 'PASS' : 'MISS'} (< ${GOAL_MS} ms)`;
    console.log(line(`first paint of the list (200 of ${JOBS} rows)`, firstPaint, listApi));
    console.log(line('filter change (text: 100 matching rows)', filterChange, filterApi));
    console.log(line(`filter change (status icon, over all ${JOBS} jobs)`, iconChange, iconApi));

    // What an open list costs the API: its requests over 30 s.
    let asked = 0;
    page!.on('request', (r) => {
      if (new URL(r.url()).pathname === `/domains/${DOMAIN}/jobs`) asked++;
    });
    await page!.waitForTimeout(30_000);
    console.log(`An open list asked for the list ${asked} times in 30 s (one every ${(30 / Math.max(1, asked)).toFixed(1)} s).`);
  } finally {
    await browser.close();
    await api.close();
    worker.shutdown();
    await running;
    await connection.close();
    await pool.end();
    await orm.close();
    await temporal.stop();
    await server.stop();
  }
}

main().then(
  () => process.exit(),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
