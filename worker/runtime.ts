import pg from 'pg';
import type { ActivityDeps } from '../activities';
import { openOrm } from '../db/orm';
import type { Config } from '../infra/config';
import { connectClient, type TemporalTarget } from '../temporal/connection';
import { connectWorker } from './connection';
import { ensureMissedSchedulesSchedule, ensureRetentionSchedule } from '../temporal/schedules';
import { checkTemporalSetup } from '../temporal/setup';
import { serveMetrics } from '../infra/metrics';
import { createWorker, workerBundle } from './createWorker';

/** Connects everything a worker needs and runs it until `signal` aborts. */
export async function runWorker(config: Config, databaseUrl: string, target: TemporalTarget, signal: AbortSignal): Promise<void> {
  const temporal = await connectClient(target);
  // Setup (npm run temporal:setup) is not the worker's job: it only checks, and says what to run.
  await checkTemporalSetup(temporal.connection, target.namespace).catch(async (e) => {
    await temporal.connection.close();
    throw e;
  });
  await ensureRetentionSchedule(temporal, { cron: config.RETENTION_CRON, taskQueue: config.TEMPORAL_TASK_QUEUE }).catch(async (e) => {
    await temporal.connection.close();
    throw new Error(`Could not create or update the retention schedule (RETENTION_CRON="${config.RETENTION_CRON}"): ${(e as Error).message}`);
  });
  await ensureMissedSchedulesSchedule(temporal, { everyMs: config.MISSED_SCHEDULES_CHECK_INTERVAL, taskQueue: config.TEMPORAL_TASK_QUEUE }).catch(async (e) => {
    await temporal.connection.close();
    throw new Error(`Could not create or update the missed-schedules schedule: ${(e as Error).message}`);
  });
  const orm = await openOrm(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  // An idle connection that drops (server restart, shutdown) is replaced on next use, not fatal.
  pool.on('error', (e) => console.warn(`PostgreSQL connection lost: ${e.message}`));
  const connection = await connectWorker(target);
  const deps: ActivityDeps = { orm, pool, temporal, config };
  const metrics = config.WORKER_METRICS_PORT ? await serveMetrics(config.WORKER_METRICS_HOST, config.WORKER_METRICS_PORT) : undefined;
  try {
    // Bundled ahead (cached by a hash of the workflow sources), so this process never holds webpack's memory.
    const workflowBundle = await workerBundle(config.cacheDir);
    const worker = await createWorker({ connection, namespace: target.namespace, taskQueue: config.TEMPORAL_TASK_QUEUE, deps, payloadCodecKeys: target.payloadCodecKeys, workflowBundle });
    // The SDK may already be draining: it handles SIGINT and SIGTERM itself.
    const shutdown = () => worker.getState() === 'RUNNING' && worker.shutdown();
    if (signal.aborted) shutdown();
    signal.addEventListener('abort', shutdown, { once: true });
    await worker.run();
  } finally {
    metrics?.close();
    await connection.close();
    await temporal.connection.close();
    await pool.end();
    await orm.close();
  }
}
