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
import { WORKER_ENV, WORKER_NODE_ARGS } from '../worker/nodeOptions';
import { generateSections, sectionsRows, SECTION_COLUMNS, type SectionsVersion } from './lib/generate';
import { activityTimeline, printTimeline } from './lib/timeline';
import { runPhaseSeconds } from './lib/runPhaseTimes';
import { cpuSeconds, peakRssMb, resetPeakRss, rssMb } from './lib/rss';

/**
 * npm run bench:import [-- --rows N] [-- --ours-only] [-- --database NAME] — a sectionsCsv file
 * (1,000,000 rows by default; BENCH_ROWS too) loaded in one run on the same PostgreSQL:
 *   1. our import end to end (API → job and run workflows → a worker in its own process, so
 *      its CPU time and RSS are its own), in three scenarios, runs 1 to 3 of one job:
 *      a first load into the empty domain, a re-import of the same file (all unchanged), and a
 *      re-import of the file with 10% of its rows changed, 1% deleted and 1% new;
 *   2. `psql \copy` of the first file into a plain all-text table: the machine's bare limit;
 *   3. `psql \copy` into a table made with sections' own definition (LIKE sections INCLUDING
 *      ALL: primary key, defaults, logged) and its change-capture triggers: the real limit
 *      for any import into sections;
 *   4. pgloader, when installed (apt-get install -y pgloader); said plainly when not.
 * Each scenario prints rows/s, ratios to both \copy lines and to pgloader, each phase's time
 * (from the run workflow's history), the worker's CPU time and peak RSS, and the load average.
 * It starts everything itself (a fresh database, jobflow_bench_import unless --database or
 * BENCH_DATABASE says otherwise, and its own Temporal dev server unless TEMPORAL_ADDRESS is
 * set); `npm start` need not be running.
 */

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ROWS = Number(arg('rows') ?? process.env.BENCH_ROWS ?? 1_000_000);
const DATABASE = arg('database') ?? process.env.BENCH_DATABASE ?? 'jobflow_bench_import';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');

/** The goals: our rows/s against \copy into the indexed table, per scenario. */
const SCENARIOS: { name: string; version: SectionsVersion; goal: number }[] = [
  { name: 'first load (empty domain)', version: 'first', goal: 0.7 },
  { name: 're-import, all unchanged', version: 'first', goal: 0.6 },
  { name: 're-import, 10% changed, 1% deleted, 1% new', version: 'changed', goal: 0.45 },
];
const PGLOADER_GOAL = 3;

interface Measured {
  name: string;
  rows: number;
  seconds: number;
  phases: Record<string, number>;
  cpu?: number;
  peakMb?: number;
  load: string;
  goal: number;
  status: string;
}

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
  const changedFile = path.join(dir, 'bench', 'sections-changed.csv.next');
  let t = Date.now();
  const bytes = generateSections(file, ROWS);
  generateSections(changedFile, ROWS, 'changed');
  console.log(`Generated ${fmt(ROWS)} rows (${(bytes / 1e6).toFixed(1)} MB) and its changed version in ${((Date.now() - t) / 1000).toFixed(1)} s: ${file}`);
  console.log(`Load average at the start: ${load()}`);

  const temporal = await ensureTemporal({ address: config.TEMPORAL_ADDRESS, ...cliSettings(config), port: await freePort(), namespace: config.TEMPORAL_NAMESPACE });
  const client = await connectClient(targetFor(config.temporal, temporal));
  await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
  const taskQueue = `bench-import-${process.pid}`;
  const benchConfig = { ...config, TEMPORAL_TASK_QUEUE: taskQueue, fileRoots: [dir] };
  const api = await startApi({ orm, temporal: client, config: benchConfig }, '127.0.0.1', 0);
  // node itself with the worker's options (not the tsx launcher) keeps the worker in one process, so /proc/<pid> is its own.
  // BENCH_WORKER_ARGS (JSON array) replaces the worker's node options, to compare settings.
  const workerArgs = process.env.BENCH_WORKER_ARGS ? (JSON.parse(process.env.BENCH_WORKER_ARGS) as string[]) : WORKER_NODE_ARGS;
  const worker = spawn(process.execPath, [...workerArgs, 'worker/main.ts'], {
    cwd: path.resolve(__dirname, '..'),
    // Three runs of ROWS must fit the domain's monthly limit (at 5,000,000 rows the default 10,000,000 halts run 3).
    env: { ...WORKER_ENV, ...process.env, MONTHLY_ROW_LIMIT: String(Math.max(config.MONTHLY_ROW_LIMIT, 4 * ROWS)), DATABASE_URL: url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, FILE_ROOTS: dir, LOG_LEVEL: 'warn', WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const measured: Measured[] = [];
  const baselines: { name: string; seconds?: number; note?: string }[] = [];
  let startup = { peak: 0, rest: 0 };
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
    startup = { peak: peakRssMb(worker.pid!) ?? 0, rest: rssMb(worker.pid!) ?? 0 };
    console.log(`Worker after start-up, before the first run: peak RSS ${startup.peak.toFixed(0)} MB, RSS at rest ${startup.rest.toFixed(0)} MB`);

    for (const [i, scenario] of SCENARIOS.entries()) {
      const number = i + 1;
      if (scenario.version === 'changed') fs.renameSync(changedFile, file);
      const resetOk = resetPeakRss(worker.pid!);
      const cpu0 = cpuSeconds(worker.pid!);
      t = Date.now();
      const run = await call('POST', '/domains/bench/jobs/sections/run');
      if (run.status !== 202) throw new Error(`run-now: ${run.status} ${run.text}`);
      let view;
      for (;;) {
        await new Promise((r) => setTimeout(r, 250));
        const r = await call('GET', `/domains/bench/jobs/sections/runs/${number}`);
        if (r.status === 200 && r.json.endedAt) {
          view = r.json;
          break;
        }
      }
      const seconds = (Date.now() - t) / 1000;
      const cpu1 = cpuSeconds(worker.pid!);
      const spans = await activityTimeline(client, runWorkflowId('bench', 'sections', number));
      const m: Measured = {
        name: scenario.name, rows: sectionsRows(ROWS, scenario.version), seconds, phases: await runPhaseSeconds(url, 'bench', 'sections', number),
        cpu: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
        peakMb: resetOk ? peakRssMb(worker.pid!) : undefined, load: load(), goal: scenario.goal, status: view.status,
      };
      measured.push(m);
      console.log(`\nRun ${number}, ${scenario.name}: ${view.status} in ${seconds.toFixed(1)} s; counters ${JSON.stringify(view.counters)}; warnings ${JSON.stringify(view.warningsByKind)}`);
      console.log(`  worker CPU ${m.cpu?.toFixed(1) ?? '?'} s, peak RSS ${m.peakMb?.toFixed(0) ?? '(could not reset the peak)'} MB, load average ${m.load}`);
      // Where the time went: the run's activity (from its workflow history), the gaps around it, and its phases (from its record).
      printTimeline(spans, t);
      if (view.status !== 'completed' && view.status !== 'completed_with_warnings') throw new Error(`run ${number} ended ${view.status}: ${view.reason}`);
    }

    // --ours-only: skip the baselines (to measure our side alone, quickly).
    if (!process.argv.includes('--ours-only')) {
      // The baselines read the first file, which the changed one replaced.
      generateSections(file, ROWS);
      const allText = SECTION_COLUMNS.map((c) => `${c} text`).join(', ');
      execFileSync('psql', [url, '-qc', `set client_min_messages = warning; drop table if exists bench_copy; create table bench_copy (${allText})`]);
      t = Date.now();
      execFileSync('psql', [url, '-qc', `\\copy bench_copy from '${file}' with (format csv, header true)`]);
      baselines.push({ name: 'psql \\copy into a plain table', seconds: (Date.now() - t) / 1000 });

      // sections' own definition: columns, types, defaults, primary key; and its triggers, on the copy.
      const triggers = execFileSync('psql', [url, '-tAc', `select pg_get_triggerdef(oid) from pg_trigger where tgrelid = 'sections'::regclass and not tgisinternal`]).toString().trim().split('\n').filter(Boolean);
      const onCopy = triggers.map((d) => d.replace(/ ON (public\.)?sections /, ' ON public.bench_copy_indexed ')).join(';\n');
      execFileSync('psql', [url, '-qc', `set client_min_messages = warning; drop table if exists bench_copy_indexed; create table bench_copy_indexed (like sections including all);
        alter table bench_copy_indexed alter column domain set default 'bench'; ${onCopy}`]);
      t = Date.now();
      execFileSync('psql', [url, '-qc', `\\copy bench_copy_indexed (${SECTION_COLUMNS.join(', ')}) from '${file}' with (format csv, header true)`]);
      baselines.push({ name: `psql \\copy into sections' definition (+${triggers.length} triggers)`, seconds: (Date.now() - t) / 1000 });

      const which = spawnSync('sh', ['-c', 'command -v pgloader']);
      if (which.status !== 0) {
        baselines.push({ name: 'pgloader', note: 'NOT INSTALLED: apt-get install -y pgloader to compare with it' });
      } else {
        execFileSync('psql', [url, '-qc', `drop table if exists bench_pgloader; create table bench_pgloader (${allText})`]);
        const loadFile = path.join(dir, 'bench.load');
        fs.writeFileSync(loadFile, `LOAD CSV FROM '${file}' WITH ENCODING utf-8 (${SECTION_COLUMNS.join(', ')})
INTO ${url}?tablename=bench_pgloader (${SECTION_COLUMNS.join(', ')})
WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote, fields terminated by ',';
`);
        t = Date.now();
        const out = spawnSync('pgloader', ['--quiet', loadFile], { encoding: 'utf8' });
        const seconds = (Date.now() - t) / 1000;
        const n = Number(execFileSync('psql', [url, '-tAc', 'select count(*) from bench_pgloader']).toString().trim());
        if (out.status !== 0 || n !== ROWS) baselines.push({ name: 'pgloader', note: `failed (exit ${out.status}, ${n} rows): ${(out.stderr || out.stdout).slice(0, 500)}` });
        else baselines.push({ name: 'pgloader', seconds });
      }
      console.log(`\nBaselines done; load average ${load()}`);
    }
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await api.close();
    await client.connection.close();
    await temporal.stop();
    await orm.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\n${fmt(ROWS)} rows (${(bytes / 1e6).toFixed(1)} MB), ${os.cpus().length} CPUs, load average at the end ${load()}`);
  for (const b of baselines) {
    if (b.seconds === undefined) console.log(`  ${b.name.padEnd(55)} ${b.note}`);
    else console.log(`  ${b.name.padEnd(55)} ${b.seconds.toFixed(1).padStart(7)} s  ${fmt(ROWS / b.seconds).padStart(10)} rows/s`);
  }
  const rate = (name: string) => {
    const b = baselines.find((x) => x.name.startsWith(name));
    return b?.seconds ? ROWS / b.seconds : undefined;
  };
  const bare = rate('psql \\copy into a plain');
  const indexed = rate("psql \\copy into sections'");
  const loader = rate('pgloader');
  const ratio = (ours: number, base: number | undefined) => (base ? (ours / base).toFixed(2) : '—');
  console.log(`\n  ${'scenario'.padEnd(46)} ${'s'.padStart(6)} ${'rows/s'.padStart(9)}  ×bare  ×indexed (goal)  ×pgloader  validate process   load   CPU s  peak MB`);
  for (const m of measured) {
    const r = m.rows / m.seconds;
    const p = (a: string) => (m.phases[a] ?? NaN).toFixed(1).padStart(7);
    console.log(`  ${m.name.padEnd(46)} ${m.seconds.toFixed(1).padStart(6)} ${fmt(r).padStart(9)}  ${ratio(r, bare).padStart(5)}  ${ratio(r, indexed).padStart(5)} (${m.goal.toFixed(2)})     ${ratio(r, loader).padStart(6)}   ${p('validating')} ${p('processing')} ${p('importing')} ${(m.cpu ?? NaN).toFixed(1).padStart(7)} ${(m.peakMb ?? NaN).toFixed(0).padStart(8)}`);
  }
  console.log(`  goals: ×indexed as shown, ≥ ${PGLOADER_GOAL}× pgloader in every scenario; worker peak RSS ≤ 250 MB`);
  console.log(`  worker start-up: peak RSS ${startup.peak.toFixed(0)} MB, RSS at rest ${startup.rest.toFixed(0)} MB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
