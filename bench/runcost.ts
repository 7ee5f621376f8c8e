import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { JobService } from '../api/commands/jobService';
import { createJobBody } from '../api/http/schemas';
import { jobScheduleId } from '../contracts/workflowIds';
import { migrate, openOrm } from '../db/orm';
import { loadConfig, type Config } from '../infra/config';
import { mapBounded } from '../infra/mapBounded';
import { ensurePostgres, recreateDatabase, withDatabase } from '../infra/postgres';
import { freePort } from '../infra/ports';
import { cliSettings } from '../infra/temporalCli';
import { freeClusterPorts, startCluster } from '../infra/temporalCluster';
import { findOrBuildServer } from '../infra/temporalServerBuild';
import { ensureTemporal } from '../infra/temporalServer';
import { clusterTarget, setupStartedCluster } from '../temporal/clusterSetup';
import { connectClient, targetFor, type TemporalTarget } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { writeSectionsFile } from '../test/setup/sectionsFile';
import { keepingLines, scheduleKeeping } from '../test/setup/scheduleKeeping';
import { addCost, emptyCost, historyCost, type HistoryCost } from './lib/historyCost';
import { cpuSecondsOrZero } from './lib/rss';
import { workerProcess } from './lib/workerProcess';

/**
 * npm run bench:runcost — what one scheduled run costs Temporal: RUNCOST_JOBS realtime import
 * jobs (5 rows each), every one scheduled every minute, for RUNCOST_MINUTES whole minutes, on
 * each server of RUNCOST_SERVERS (`dev`: the CLI's dev server on SQLite; `cluster`: the real
 * server 1.29.1 on this PostgreSQL, over mTLS with encrypted payloads, as test:cluster runs it).
 * Printed per run, per workflow type and in all: history events, workflow and activity tasks,
 * billable actions counted from the histories by Temporal Cloud's rules (bench/lib/historyCost.ts)
 * and from the server's own `action` metric (which adds queries and heartbeats), and the CPU
 * time of the server, the worker and PostgreSQL (every postgres process on the machine: other
 * work on it shows there; the load average is printed beside).
 */

const JOBS = Number(process.env.RUNCOST_JOBS ?? 100);
const MINUTES = Number(process.env.RUNCOST_MINUTES ?? 2);
const SERVERS = (process.env.RUNCOST_SERVERS ?? 'dev,cluster').split(',').map((s) => s.trim()).filter(Boolean);
const DOMAINS = Math.min(10, JOBS);
const ROWS_PER_FILE = 5;
const DATABASE = 'jobflow_bench_runcost';

Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');


/** CPU seconds of every postgres process now running (backends come and go: a lower bound). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuSecondsOrZero(Number(pid));
    } catch {
      // gone
    }
  }
  return total;
}

/** The server's `action` counter for the namespace, or undefined without a metrics endpoint. */
async function serverActions(metricsUrl: string | undefined, namespace: string): Promise<number | undefined> {
  if (!metricsUrl) return undefined;
  const text = await (await fetch(metricsUrl)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^action(?:_total)?\{([^}]*)\} ([\d.e+]+)$/.exec(line);
    if (m && m[1]!.includes(`namespace="${namespace}"`)) total += Number(m[2]);
  }
  return total;
}

interface Server {
  name: string;
  target: TemporalTarget;
  pid: () => number | undefined;
  metricsUrl?: string;
  /** What a worker process needs beyond the address to reach it. */
  workerEnv: Record<string, string>;
  stop(): Promise<void>;
}

async function startServer(name: string, config: Config, postgresUrl: string): Promise<Server> {
  if (name === 'dev') {
    const metricsPort = await freePort();
    const server = await ensureTemporal({ ...cliSettings(config), port: await freePort(), namespace: config.TEMPORAL_NAMESPACE, metricsPort });
    return {
      name: 'dev server (SQLite)', target: targetFor(config.temporal, server), pid: () => server.pid, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      workerEnv: { TEMPORAL_ADDRESS: server.address }, stop: () => server.stop(),
    };
  }
  if (name === 'cluster') {
    const binaries = await findOrBuildServer({ cacheDir: config.cacheDir });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-runcost-'));
    const cluster = await startCluster({
      binaries, stateDir, postgresUrl, fresh: true, ports: await freeClusterPorts(),
      databases: { persistence: `${DATABASE}_temporal`, visibility: `${DATABASE}_temporal_visibility` },
    });
    await setupStartedCluster(cluster, config.TEMPORAL_NAMESPACE, config.TEMPORAL_NAMESPACE_RETENTION_DAYS);
    const payloadKeys = `runcost:${crypto.randomBytes(32).toString('base64')}`;
    return {
      name: 'real server 1.29.1 (PostgreSQL, mTLS, encrypted payloads)', target: { ...clusterTarget(cluster, config.TEMPORAL_NAMESPACE), payloadCodecKeys: payloadKeys }, pid: () => cluster.pid(), metricsUrl: cluster.metricsUrl,
      workerEnv: { ...cluster.clientEnv, PAYLOAD_CODEC_KEYS: payloadKeys },
      async stop() {
        await cluster.stop();
        fs.rmSync(stateDir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`RUNCOST_SERVERS: unknown server "${name}" (dev or cluster)`);
}

/** Every workflow of the namespace, with its history's cost in [from, to), by workflow type. */
async function costByType(client: Client, from: number, to: number): Promise<Map<string, HistoryCost & { workflows: number }>> {
  const executions: { workflowId: string; runId: string; type: string }[] = [];
  for await (const w of client.workflow.list()) executions.push({ workflowId: w.workflowId, runId: w.runId, type: w.type });
  const byType = new Map<string, HistoryCost & { workflows: number }>();
  await mapBounded(executions, 8, async (w) => {
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    const cost = historyCost(history.events ?? [], from, to);
    if (!cost.events) return;
    const into = byType.get(w.type) ?? { ...emptyCost(), workflows: 0 };
    addCost(into, cost);
    into.workflows++;
    byType.set(w.type, into);
  });
  return byType;
}

async function measure(serverName: string, config: Config, postgresUrl: string): Promise<void> {
  await recreateDatabase(withDatabase(postgresUrl, 'postgres'), DATABASE);
  const databaseUrl = withDatabase(postgresUrl, DATABASE);
  const orm = await openOrm(databaseUrl);
  await migrate(orm, config);
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const server = await startServer(serverName, config, postgresUrl);
  const client = await connectClient(server.target);
  await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
  // The real server's frontends see new search attributes when their namespace cache refreshes (about 10 s).
  for (let waited = 0; ; waited += 1_000) {
    try {
      for await (const _ of client.workflow.list({ query: `Domain = 'none'`, pageSize: 1 })) break;
      break;
    } catch (e) {
      if (waited > 60_000) throw e;
      await sleep(1_000);
    }
  }
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-runcost-files-'));
  const jobConfig = { ...config, fileRoots: [filesDir], TEMPORAL_TASK_QUEUE: `runcost-${crypto.randomUUID()}` };
  const worker = workerProcess({
    DATABASE_URL: databaseUrl, TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE: jobConfig.TEMPORAL_TASK_QUEUE,
    FILE_ROOTS: filesDir, ...server.workerEnv,
  });
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ domain: `cost${i % DOMAINS}`, id: `j${i}` }));
  try {
    const service = new JobService({ orm, temporal: client, config: jobConfig });
    await mapBounded(jobs, 8, async ({ domain, id }) => {
      const file = path.join(filesDir, domain, `${id}.csv`);
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeSectionsFile(file, ROWS_PER_FILE, `${id}-`);
      await service.create(domain, createJobBody.parse({
        id, name: id, taskType: 'sectionsCsv', mode: 'realtime', sourceUrl: `file://${file}`,
        scheduling: { type: 'scheduled', timing: { kind: 'cron', expression: '* * * * *' } },
      }));
    });
    // The window: whole minutes from the first one after every job exists (job creation is not counted).
    const from = Math.ceil((Date.now() + 5_000) / 60_000) * 60_000;
    const to = from + MINUTES * 60_000;
    await sleep(from - Date.now());
    const startCpu = { server: cpuSecondsOrZero(server.pid()), worker: cpuSecondsOrZero(worker.pid), postgres: postgresCpuSeconds() };
    const startActions = await serverActions(server.metricsUrl, config.TEMPORAL_NAMESPACE);
    const loadBefore = loadAverage();
    await sleep(to - Date.now());
    await mapBounded(jobs, 16, ({ domain, id }) => client.schedule.getHandle(jobScheduleId(domain, id)).pause('end of the measurement'));
    // The backlog drains: every run asked for in the window ends (at most 5 minutes more).
    const drainDeadline = Date.now() + 5 * 60_000;
    while (Date.now() < drainDeadline) {
      const { rows } = await db.query(`select count(*)::int as n from runs where ended_at is null`);
      if (rows[0].n === 0) break;
      await sleep(2_000);
    }
    const end = Date.now();
    const cpu = {
      server: cpuSecondsOrZero(server.pid()) - startCpu.server,
      worker: cpuSecondsOrZero(worker.pid) - startCpu.worker,
      postgres: postgresCpuSeconds() - startCpu.postgres,
    };
    const endActions = await serverActions(server.metricsUrl, config.TEMPORAL_NAMESPACE);
    const { rows } = await db.query(`select count(*)::int as runs, count(*) filter (where status = 'completed')::int as completed from runs where started_at >= $1`, [new Date(from)]);
    // The runs as they stand now: ticks the server started before the pause may still start runs while the histories are read.
    const { rows: records } = await db.query<{ job: string; number: number; trigger: string; status: string; started_at: Date; scheduled_at: Date | null }>(
      `select r.domain || '/' || j.identifier as job, r.number, r.trigger, r.status, r.started_at, r.scheduled_at from runs r join jobs j on j.id = r.job_id`);
    const runs = rows[0].runs as number;
    const byType = await costByType(client, from, end);
    const keeping = scheduleKeeping(jobs.map((j) => `${j.domain}/${j.id}`), records.map((r) => ({
      job: r.job, number: r.number, trigger: r.trigger, status: r.status, startedAt: r.started_at.getTime(), scheduledAt: r.scheduled_at?.getTime(),
    })), Array.from({ length: MINUTES }, (_, m) => from + m * 60_000));

    const per = (v: number) => (runs ? v / runs : NaN).toFixed(1);
    console.log(`\n${server.name}: ${JOBS} jobs every minute for ${MINUTES} min: ${runs} runs started in the window (${rows[0].completed} completed), ${JOBS * MINUTES} scheduled in it; load average ${loadBefore} before, ${loadAverage()} after`);
    console.log(`  ${'per run'.padEnd(22)} ${'events'.padStart(7)} ${'wf tasks'.padStart(9)} ${'act tasks'.padStart(10)} ${'actions'.padStart(8)}`);
    const total = emptyCost();
    for (const [type, c] of [...byType].sort()) {
      addCost(total, c);
      console.log(`  ${type.padEnd(22)} ${per(c.events).padStart(7)} ${per(c.workflowTasks).padStart(9)} ${per(c.activityTasks).padStart(10)} ${per(c.actions).padStart(8)}`);
    }
    console.log(`  ${'all'.padEnd(22)} ${per(total.events).padStart(7)} ${per(total.workflowTasks).padStart(9)} ${per(total.activityTasks).padStart(10)} ${per(total.actions).padStart(8)}   (actions from the histories, Temporal Cloud's rules)`);
    if (startActions !== undefined && endActions !== undefined) console.log(`  server's action metric: ${per(endActions - startActions)} per run (queries, heartbeats and the server's own bookkeeping included)`);
    const ms = (s: number) => (runs ? (s * 1000) / runs : NaN).toFixed(0);
    console.log(`  CPU per run: server ${ms(cpu.server)} ms, worker ${ms(cpu.worker)} ms, PostgreSQL ${ms(cpu.postgres)} ms (all postgres processes)`);
    console.log(`  the schedule kept (the load scenario's verdict), backlog drained ${((end - to) / 1000).toFixed(0)} s after the window:`);
    for (const line of keepingLines(keeping, JOBS * MINUTES, '    ')) console.log(line);
  } finally {
    await worker.stop();
    await db.end();
    await orm.close();
    await server.stop();
    fs.rmSync(filesDir, { recursive: true, force: true });
  }
}

async function main() {
  const config = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? 'data/bench' });
  const postgres = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  try {
    for (const name of SERVERS) await measure(name, config, postgres.url);
  } finally {
    await postgres.stop();
  }
}

main().then(
  () => process.exit(),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
