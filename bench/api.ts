import crypto from 'node:crypto';
import path from 'node:path';
import autocannon from 'autocannon';
import { NativeConnection, Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import pg from 'pg';
import { createToken } from '../api/auth';
import { JobService } from '../api/jobService';
import { mapBounded } from '../api/jobQueries';
import { createJobBody } from '../api/schemas';
import { startApi } from '../api/server';
import { migrate, openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { ensurePostgres, recreateDatabase, withDatabase } from '../infra/postgres';
import { freePort } from '../infra/ports';
import { ensureTemporal } from '../infra/temporalServer';
import { connectClient } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { createWorker } from '../worker/createWorker';

/**
 * npm run bench:api — with 1,000 jobs (each a live job workflow), the p50 and p95 latency of
 * the job list (a page of 50 rows, each row's status queried from its workflow) and of a job
 * detail (one live workflow query), measured with autocannon against the real API, worker,
 * Temporal dev server and PostgreSQL. BENCH_JOBS, BENCH_SECONDS and BENCH_CONNECTIONS change
 * the job count, the duration of each measurement and the concurrent connections.
 */

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const DOMAIN = 'bench';

Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function measure(name: string, url: string, token: string, paths: () => string) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let instance!: autocannon.Instance;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: SECONDS,
        headers: { authorization: `Bearer ${token}` },
        requests: [{ setupRequest: (req) => ({ ...req, path: paths() }) }],
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
  });
  latencies.sort((a, b) => a - b);
  const line = `${name.padEnd(34)} p50 ${percentile(latencies, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(latencies, 95).toFixed(1).padStart(6)} ms   p99 ${percentile(latencies, 99).toFixed(1).padStart(6)} ms   ${result.requests.average.toFixed(0).padStart(5)} req/s   ${latencies.length} requests, status ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`;
  return { line, ok: [...statuses.keys()].every((s) => s === 200) };
}

async function main() {
  const config = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? 'data/bench' });
  const server = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  const dbUrl = withDatabase(server.url, 'jobflow_bench_api');
  await recreateDatabase(withDatabase(server.url, 'postgres'), 'jobflow_bench_api');
  const orm = await openOrm(dbUrl);
  await migrate(orm);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
  const temporal = await ensureTemporal({ address: config.TEMPORAL_ADDRESS, cliPath: config.TEMPORAL_CLI_PATH, cacheDir: config.cacheDir, port: await freePort(), namespace: config.TEMPORAL_NAMESPACE });
  const client = await connectClient(temporal.address, config.TEMPORAL_NAMESPACE);
  await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
  const taskQueue = `bench-api-${crypto.randomUUID()}`;
  const workerConfig = { ...config, TEMPORAL_TASK_QUEUE: taskQueue };
  const connection = await NativeConnection.connect({ address: temporal.address });
  const worker = await createWorker({ connection, namespace: config.TEMPORAL_NAMESPACE, taskQueue, deps: { orm, pool, temporal: client, config: workerConfig } });
  const running = worker.run();
  const api = await startApi({ orm, temporal: client, config: workerConfig }, '127.0.0.1', 0);
  try {
    let t = Date.now();
    const service = new JobService({ orm, temporal: client, config: workerConfig });
    const source = `file://${path.resolve('samples/sections.csv')}`;
    await mapBounded(Array.from({ length: JOBS }, (_, i) => i), 16, (i) =>
      service.create(DOMAIN, createJobBody.parse({
        id: `job-${String(i).padStart(4, '0')}`, name: `Bench job ${i}`, taskType: 'sectionsCsv', mode: i % 10 === 0 ? 'on-demand' : 'batch', sourceUrl: source,
      })),
    );
    console.log(`Created ${JOBS} jobs (each a job workflow) in ${((Date.now() - t) / 1000).toFixed(1)} s.`);
    const { token } = await createToken(orm, { name: 'bench', role: 'domain_admin', domain: DOMAIN });
    // Every workflow answers once before measuring, so the worker has them all in its cache.
    t = Date.now();
    for (let offset = 0; offset < JOBS; offset += 200) {
      const r = await fetch(`${api.url}/domains/${DOMAIN}/jobs?limit=200&offset=${offset}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await r.json()) as { items: { status: string }[] };
      const unknown = body.items.filter((i) => i.status === 'unknown').length;
      if (unknown) console.log(`(warm-up: ${unknown} workflows did not answer)`);
    }
    console.log(`Warmed up in ${((Date.now() - t) / 1000).toFixed(1)} s. Measuring ${SECONDS} s each with ${CONNECTIONS} connections:`);

    let page = 0;
    const list = await measure('job list (50 rows, live status)', api.url, token, () => `/domains/${DOMAIN}/jobs?limit=50&offset=${(page++ % (JOBS / 50)) * 50}`);
    console.log(list.line);
    const detail = await measure('job detail (live workflow query)', api.url, token, () => `/domains/${DOMAIN}/jobs/job-${String(crypto.randomInt(JOBS)).padStart(4, '0')}`);
    console.log(detail.line);
    if (!list.ok || !detail.ok) process.exitCode = 1;
  } finally {
    await api.close();
    worker.shutdown();
    await running;
    await connection.close();
    // The client's connection is left to process exit: closing it under a query's retry timer throws from that timer.
    await pool.end();
    await orm.close();
    await temporal.stop();
    await server.stop();
  }
}

main().then(
  // A retry timer of a query still in flight when the client closed must not crash the report.
  () => process.exit(),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
