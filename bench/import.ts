import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToken } from '../api/http/auth';
import { startApi } from '../api/server';
import { migrate, openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { ensurePostgres, recreateDatabase, withDatabase } from '../infra/postgres';
import { freePort } from '../infra/ports';
import { cliSettings } from '../infra/temporalCli';
import { ensureTemporal } from '../infra/temporalServer';
import { connectClient, targetFor } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { runWorkflowId } from '../contracts/workflowIds';
import { generateSections, SECTION_COLUMNS } from './lib/generate';
import { activityTimeline, printTimeline } from './lib/timeline';
import { peakRssMb } from './lib/rss';

/**
 * npm run bench:import [-- --rows N] [-- --ours-only] — one sectionsCsv file (1,000,000 rows by default),
 * loaded three ways in one run on the same PostgreSQL:
 *   1. our import end to end: create a job and run it now through the API, the job and run
 *      workflows, and a worker in its own process (so its peak RSS is its own), until the
 *      run has ended;
 *   2. `psql \copy` of the same file into a plain table: the machine's limit;
 *   3. pgloader, when installed (apt-get install -y pgloader); said plainly when not.
 * It starts everything itself (a fresh jobflow_bench_import database, its own Temporal dev
 * server unless TEMPORAL_ADDRESS is set); `npm start` need not be running.
 */

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ROWS = Number(arg('rows') ?? process.env.BENCH_ROWS ?? 1_000_000);
const DATABASE = 'jobflow_bench_import';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main() {
  const config = loadConfig();
  const server = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  const url = withDatabase(server.url, DATABASE);
  await recreateDatabase(withDatabase(server.url, 'postgres'), DATABASE);
  const orm = await openOrm(url);
  await migrate(orm, config);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-bench-import-'));
  // The file root is `dir`; domain bench reads its own area of it.
  fs.mkdirSync(path.join(dir, 'bench'), { mode: 0o700 });
  const file = path.join(dir, 'bench', 'sections.csv');
  let t = Date.now();
  const bytes = generateSections(file, ROWS);
  console.log(`Generated ${fmt(ROWS)} rows (${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t) / 1000).toFixed(1)} s: ${file}`);

  const temporal = await ensureTemporal({ address: config.TEMPORAL_ADDRESS, ...cliSettings(config), port: await freePort(), namespace: config.TEMPORAL_NAMESPACE });
  const client = await connectClient(targetFor(config.temporal, temporal));
  await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
  const taskQueue = `bench-import-${process.pid}`;
  const benchConfig = { ...config, TEMPORAL_TASK_QUEUE: taskQueue, fileRoots: [dir] };
  const api = await startApi({ orm, temporal: client, config: benchConfig }, '127.0.0.1', 0);
  // `node --import tsx` keeps the worker in one process, so /proc/<pid> is the worker's own.
  const worker = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'worker/main.ts'], {
    cwd: path.resolve(__dirname, '..'),
    env: { ...process.env, DATABASE_URL: url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, FILE_ROOTS: dir, LOG_LEVEL: 'warn', WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRssMb(worker.pid!) ?? 0)), 200);
  const results: { name: string; seconds?: number; note?: string }[] = [];
  try {
    const { token } = await createToken(orm, { name: 'bench', role: 'system_admin' });
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(api.url + p, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
    };
    // Job creation asks the job workflow for its view: it waits for the worker to be up.
    for (let i = 0; ; i++) {
      const created = await call('POST', '/domains/bench/jobs', { id: 'sections', name: 'Bench sections', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${file}` });
      if (created.status === 201 || created.status === 409) break;
      if (i > 120) throw new Error(`creating the job: ${created.status} ${created.text}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Start-up (workflow bundling above all) has its own peak: report it apart from the import's.
    await new Promise((r) => setTimeout(r, 1000));
    const startupPeak = peakRssMb(worker.pid!) ?? 0;
    console.log(`Worker peak RSS after start-up, before the run: ${startupPeak.toFixed(0)} MB`);
    t = Date.now();
    const run = await call('POST', '/domains/bench/jobs/sections/run');
    if (run.status !== 202) throw new Error(`run-now: ${run.status} ${run.text}`);
    let view;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await call('GET', '/domains/bench/jobs/sections/runs/1');
      if (r.status === 200 && r.json.endedAt) {
        view = r.json;
        break;
      }
    }
    const ours = (Date.now() - t) / 1000;
    peak = Math.max(peak, peakRssMb(worker.pid!) ?? 0);
    console.log(`Our import: ${view.status} in ${ours.toFixed(1)} s; counters ${JSON.stringify(view.counters)}; warnings ${JSON.stringify(view.warningsByKind)}`);
    results.push({ name: 'jobflow import (API → workflows → worker → sections)', seconds: ours });
    // Where the time went: each activity of the run (from its workflow history) and the gaps between them.
    printTimeline(await activityTimeline(client, runWorkflowId('bench', 'sections', 1)), t);

    // --ours-only: skip the baselines (to measure our side alone, quickly).
    if (!process.argv.includes('--ours-only')) {
      // psql \copy into a plain table with the same columns, all text.
      execFileSync('psql', [url, '-qc', `drop table if exists bench_copy; create table bench_copy (${SECTION_COLUMNS.map((c) => `${c} text`).join(', ')})`]);
      t = Date.now();
      execFileSync('psql', [url, '-qc', `\\copy bench_copy from '${file}' with (format csv, header true)`]);
      results.push({ name: 'psql \\copy into a plain table', seconds: (Date.now() - t) / 1000 });

      const which = spawnSync('sh', ['-c', 'command -v pgloader']);
      if (which.status !== 0) {
        results.push({ name: 'pgloader', note: 'NOT INSTALLED: apt-get install -y pgloader to compare with it' });
      } else {
        execFileSync('psql', [url, '-qc', `drop table if exists bench_pgloader; create table bench_pgloader (${SECTION_COLUMNS.map((c) => `${c} text`).join(', ')})`]);
        const load = path.join(dir, 'bench.load');
        fs.writeFileSync(load, `LOAD CSV FROM '${file}' WITH ENCODING utf-8 (${SECTION_COLUMNS.join(', ')})
INTO ${url}?tablename=bench_pgloader (${SECTION_COLUMNS.join(', ')})
WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote, fields terminated by ',';
`);
        t = Date.now();
        const out = spawnSync('pgloader', ['--quiet', load], { encoding: 'utf8' });
        const seconds = (Date.now() - t) / 1000;
        const n = Number(execFileSync('psql', [url, '-tAc', 'select count(*) from bench_pgloader']).toString().trim());
        if (out.status !== 0 || n !== ROWS) results.push({ name: 'pgloader', note: `failed (exit ${out.status}, ${n} rows): ${(out.stderr || out.stdout).slice(0, 500)}` });
        else results.push({ name: 'pgloader', seconds });
      }
    }
  } finally {
    clearInterval(sampler);
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await api.close();
    await client.connection.close();
    await temporal.stop();
    await orm.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\n${fmt(ROWS)} rows, ${os.cpus().length} CPUs`);
  const copy = results.find((r) => r.name.startsWith('psql'))?.seconds;
  const loader = results.find((r) => r.name === 'pgloader')?.seconds;
  const ours = results[0]?.seconds;
  for (const r of results) {
    if (r.seconds === undefined) console.log(`  ${r.name.padEnd(55)} ${r.note}`);
    else console.log(`  ${r.name.padEnd(55)} ${r.seconds.toFixed(1).padStart(7)} s  ${fmt(ROWS / r.seconds).padStart(10)} rows/s`);
  }
  if (ours && copy) console.log(`  ours / \\copy throughput: ${(copy / ours).toFixed(2)}  (goal: at least 0.5)`);
  if (ours && loader) console.log(`  ours / pgloader throughput: ${(loader / ours).toFixed(2)}  (goal: at least 2)`);
  console.log(`  worker peak RSS: ${peak.toFixed(0)} MB  (goal: under 300 MB)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
