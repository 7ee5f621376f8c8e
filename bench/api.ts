import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import pg from 'pg';
import { createToken } from '../api/http/auth';
import { JobService } from '../api/commands/jobService';
import { mapBounded } from '../infra/mapBounded';
import { createJobBody } from '../api/http/schemas';
import { startApi } from '../api/server';
import { migrate, openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { ensurePostgres, recreateDatabase, withDatabase } from '../infra/postgres';
import { freePort } from '../infra/ports';
import { cliSettings } from '../infra/temporalCli';
import { ensureTemporal } from '../infra/temporalServer';
import { connectClient, targetFor, type TemporalTarget } from '../temporal/connection';
import { connectWorker } from '../worker/connection';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { createWorker } from '../worker/createWorker';
import { workerProcess } from './lib/workerProcess';

/**
 * npm run bench:api — with 1,000 jobs (each a live job workflow), the p50, p95 and p99 latency
 * of the job list (a page of 50 rows with their live statuses) and of a job detail (one live
 * workflow query), measured with autocannon against the real API, worker, Temporal dev server
 * and PostgreSQL (a database of its own, jobflow_bench_api). The goal is p95 under 50 ms for
 * both; each line says PASS or MISS, with the machine's load average beside it (other work
 * on the machine shows in the figures). BENCH_JOBS, BENCH_SECONDS and BENCH_CONNECTIONS (one
 * count, or several comma-separated: 1,4,8) change the job count, the duration of each
 * measurement and the concurrent connections; BENCH_SCHEDULED (0 to 1) gives that share of the
 * jobs a schedule, whose list rows then show their next run time.
 *
 * As deployed, the API process serves requests and nothing else: the Temporal worker runs in
 * a process of its own (npm run worker), and autocannon in a thread of its own, so neither
 * competes with the API for its event loop. BENCH_IN_PROCESS=1 runs the worker in the API's
 * process instead, as the first figures were taken (autocannon then ran there too).
 */

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '4').split(',').map(Number);
/** The share of jobs with a schedule (default none: every batch job is run by hand, as in the first figures). */
const SCHEDULED = Number(process.env.BENCH_SCHEDULED ?? 0);
const GOAL_P95_MS = 50;
const IN_PROCESS = process.env.BENCH_IN_PROCESS === '1';
const DOMAIN = 'bench';

Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** autocannon in a thread of its own; the latencies of every response come back to be sorted here. */
const LOAD_THREAD = `
const { parentPort, workerData: w } = require('node:worker_threads');
const crypto = require('node:crypto');
const autocannon = require(w.autocannon);
let page = 0;
const path = w.kind === 'list'
  ? () => '/domains/' + w.domain + '/jobs?limit=50&offset=' + (page++ % Math.max(1, Math.floor(w.jobs / 50))) * 50
  : () => '/domains/' + w.domain + '/jobs/job-' + String(crypto.randomInt(w.jobs)).padStart(4, '0');
const latencies = [];
const statuses = {};
const instance = autocannon(
  { url: w.url, connections: w.connections, duration: w.duration, headers: { authorization: 'Bearer ' + w.token }, requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }] },
  // (Off the main thread autocannon leaves its result unaggregated: the rate is counted here.)
  (err) => parentPort.postMessage(err ? { error: String(err) } : { latencies, statuses, average: latencies.length / w.duration }),
);
instance.on('response', (_client, status, _bytes, ms) => { latencies.push(ms); statuses[status] = (statuses[status] || 0) + 1; });
`;

interface Load { latencies: number[]; statuses: Record<string, number>; average: number }

function runLoad(kind: 'list' | 'detail', url: string, token: string, connections: number): Promise<Load> {
  const workerData = { kind, url, token, connections, duration: SECONDS, jobs: JOBS, domain: DOMAIN, autocannon: require.resolve('autocannon') };
  return new Promise((resolve, reject) => {
    const thread = new Thread(LOAD_THREAD, { eval: true, workerData });
    thread.once('message', (m: Load & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m)));
    thread.once('error', reject);
  });
}

const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function measure(name: string, kind: 'list' | 'detail', url: string, token: string, connections: number) {
  const loadBefore = loadAverage();
  const { latencies, statuses, average } = await runLoad(kind, url, token, connections);
  latencies.sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(latencies, p)) as [number, number, number];
  const ok = Object.keys(statuses).every((s) => s === '200');
  const pass = ok && p95 < GOAL_P95_MS;
  const ms = (v: number) => v.toFixed(1).padStart(6);
  const line = `${name.padEnd(34)} ${String(connections).padStart(2)} conn   p50 ${ms(p50)} ms   p95 ${ms(p95)} ms   p99 ${ms(p99)} ms   ${average.toFixed(0).padStart(5)} req/s   ${pass ? 'PASS' : 'MISS'} (p95 < ${GOAL_P95_MS} ms)   ` +
    `${latencies.length} requests, status ${Object.entries(statuses).map(([s, n]) => `${s}×${n}`).join(' ')}; load average ${loadBefore} before, ${loadAverage()} after`;
  return { line, ok, pass };
}

async function main() {
  const config = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? 'data/bench' });
  const server = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  const dbUrl = withDatabase(server.url, 'jobflow_bench_api');
  await recreateDatabase(withDatabase(server.url, 'postgres'), 'jobflow_bench_api');
  const orm = await openOrm(dbUrl);
  await migrate(orm, config);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
  const temporal = await ensureTemporal({ address: config.TEMPORAL_ADDRESS, ...cliSettings(config), port: await freePort(), namespace: config.TEMPORAL_NAMESPACE });
  const target = targetFor(config.temporal, temporal);
  const client = await connectClient(target);
  await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
  const taskQueue = `bench-api-${crypto.randomUUID()}`;
  const workerConfig = { ...config, TEMPORAL_TASK_QUEUE: taskQueue };
  const worker = IN_PROCESS ? await inProcessWorker(target, taskQueue, { orm, pool, temporal: client, config: workerConfig }) : benchWorker(dbUrl, temporal.address, taskQueue);
  const api = await startApi({ orm, temporal: client, config: workerConfig }, '127.0.0.1', 0);
  try {
    let t = Date.now();
    const service = new JobService({ orm, temporal: client, config: workerConfig });
    // The sample, in the bench domain's file area (<first root>/bench/).
    const area = path.join(config.fileRoots[0] ?? path.resolve('data/files'), DOMAIN);
    fs.mkdirSync(area, { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.resolve('samples/sections.csv'), path.join(area, 'sections.csv'));
    const source = `file://${path.join(area, 'sections.csv')}`;
    await mapBounded(Array.from({ length: JOBS }, (_, i) => i), 16, (i) =>
      service.create(DOMAIN, createJobBody.parse({
        id: `job-${String(i).padStart(4, '0')}`, name: `Bench job ${i}`, taskType: 'sectionsCsv', mode: i % 10 === 0 ? 'on-demand' : 'batch', sourceUrl: source,
        ...(i % 10 !== 0 && (i % 100) / 100 < SCHEDULED ? { scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY', 'THURSDAY'], times: ['06:00'] } } } : {}),
      })),
    );
    console.log(`Created ${JOBS} jobs (each a job workflow${SCHEDULED ? `, ${Math.round(SCHEDULED * 100)}% of the batch ones with a schedule` : ''}) in ${((Date.now() - t) / 1000).toFixed(1)} s.`);
    const { token } = await createToken(orm, { name: 'bench', role: 'domain_admin', domain: DOMAIN });
    // Every workflow answers once before measuring, so the worker has them all in its cache.
    // Every job workflow answers once before measuring (the worker has started them all and holds them in its cache).
    t = Date.now();
    for (let attempt = 0; attempt < 10; attempt++) {
      const answers = await mapBounded(Array.from({ length: JOBS }, (_, i) => i), 8, async (i) => {
        const r = await fetch(`${api.url}/domains/${DOMAIN}/jobs/job-${String(i).padStart(4, '0')}`, { headers: { authorization: `Bearer ${token}` } });
        return ((await r.json()) as { status: string }).status;
      });
      const unknown = answers.filter((a) => a === 'unknown').length;
      if (!unknown) break;
      console.log(`(warm-up: ${unknown} job workflows did not answer yet)`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const statuses = new Map<string, number>();
    let withNextRun = 0;
    for (let offset = 0; offset < JOBS; offset += 200) {
      const r = await fetch(`${api.url}/domains/${DOMAIN}/jobs?limit=200&offset=${offset}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await r.json()) as { items: { status: string; nextRunAt: string | null }[] };
      for (const i of body.items) statuses.set(i.status, (statuses.get(i.status) ?? 0) + 1);
      withNextRun += body.items.filter((i) => i.nextRunAt).length;
    }
    console.log(`Listed: ${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}; ${withNextRun} with a next run time.`);
    console.log(`Warmed up in ${((Date.now() - t) / 1000).toFixed(1)} s. Measuring ${SECONDS} s each with ${CONNECTIONS.join(', ')} connection(s); goal: p95 < ${GOAL_P95_MS} ms for both.`);

    let allOk = true;
    let allPass = true;
    for (const connections of CONNECTIONS) {
      const list = await measure('job list (50 rows, live status)', 'list', api.url, token, connections);
      console.log(list.line);
      const detail = await measure('job detail (live workflow query)', 'detail', api.url, token, connections);
      console.log(detail.line);
      allOk &&= list.ok && detail.ok;
      allPass &&= list.pass && detail.pass;
    }
    console.log(`Goal (p95 < ${GOAL_P95_MS} ms for the list and the detail at ${CONNECTIONS.join(', ')} connection(s)): ${allPass ? 'PASS' : 'MISS'}`);
    if (!allOk) process.exitCode = 1;
  } finally {
    await api.close();
    await worker.stop();
    // The client's connection is left to process exit: closing it under a query's retry timer throws from that timer.
    await pool.end();
    await orm.close();
    await temporal.stop();
    await server.stop();
  }
}

/** The Temporal worker as deployed, on the bench's database and task queue. */
function benchWorker(databaseUrl: string, temporalAddress: string, taskQueue: string) {
  return workerProcess({ DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_TASK_QUEUE: taskQueue });
}

async function inProcessWorker(target: TemporalTarget, taskQueue: string, deps: Parameters<typeof createWorker>[0]['deps']) {
  const connection = await connectWorker(target);
  const worker = await createWorker({ connection, namespace: target.namespace, taskQueue, deps, payloadCodecKeys: target.payloadCodecKeys });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

main().then(
  // A retry timer of a query still in flight when the client closed must not crash the report.
  () => process.exit(),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
