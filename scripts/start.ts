import fs from 'node:fs';
import path from 'node:path';
import { startApi } from '../api/server';
import { migrate, openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { logger } from '../infra/logger';
import { ensurePostgres } from '../infra/postgres';
import { cliSettings, TemporalUnavailableError } from '../infra/temporalCli';
import { ensureTemporal } from '../infra/temporalServer';
import { connectClient, targetFor } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { installRuntime } from '../worker/observability';
import { runWorker } from '../worker/runtime';
import { ensureAdminToken } from './adminToken';

/**
 * `npm start`: the whole system on its embedded defaults, in one process tree: PostgreSQL
 * (found or embedded), migrations, the Temporal dev server (found, downloaded or built,
 * persisting to DATA_DIR/temporal.db, Temporal Web on), the worker and the API.
 * Ctrl-C, or SIGINT/SIGTERM to npm's own process, stops it in order: the worker (drained), the
 * API, Temporal, then PostgreSQL, each saying so.
 */

const log = (l: string) => console.log(l);

/** What has been started so far, each with how it stops; stopped in STOP_ORDER. */
const running = new Map<'worker' | 'api' | 'temporal' | 'postgres', { stop(): Promise<void>; stopped?: string }>();
const STOP_ORDER = ['worker', 'api', 'temporal', 'postgres'] as const;

let stopping = false;
async function stop(why: string, code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    log(`Stopping (${why}): worker, API, Temporal, PostgreSQL...`);
    for (const name of STOP_ORDER) {
      const part = running.get(name);
      if (!part) continue;
      await part.stop().catch((e) => console.error(`Stopping the ${name}:`, e));
      if (part.stopped) log(part.stopped);
    }
    log('Stopped.');
    process.exit(code);
  }
  return new Promise<never>(() => undefined);
}

// Handled from the first moment, so a signal during start-up stops what has started.
// npm passes SIGINT/SIGTERM on to its script (which execs tsx, which passes it to us); a
// second signal while stopping changes nothing.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));

async function main() {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  installRuntime({ temporalMetricsPort: config.TEMPORAL_METRICS_PORT, metricsHost: config.WORKER_METRICS_HOST });
  fs.mkdirSync(path.join(config.DATA_DIR, 'files'), { recursive: true });

  const postgres = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT, log });
  running.set('postgres', { stop: postgres.stop, stopped: postgres.source === 'embedded' ? 'PostgreSQL stopped.' : undefined });
  const where = { embedded: `embedded, pid ${postgres.pid}`, local: '127.0.0.1:5432', env: 'DATABASE_URL' }[postgres.source];
  log(`PostgreSQL: ${where} (${new URL(postgres.url).pathname.slice(1)})`);
  const orm = await openOrm(postgres.url);
  const applied = await migrate(orm, config);
  if (applied.length) log(`Migrations applied: ${applied.join(', ')}`);

  const temporal = await ensureTemporal({
    address: config.TEMPORAL_ADDRESS,
    ...cliSettings(config),
    port: config.TEMPORAL_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: path.join(config.DATA_DIR, 'temporal.db'),
    namespace: config.TEMPORAL_NAMESPACE,
    log,
  });
  running.set('temporal', { stop: temporal.stop, stopped: temporal.owned ? 'Temporal stopped.' : undefined });
  log(`Temporal: ${temporal.address}${temporal.webUrl ? `; Temporal Web: ${temporal.webUrl}` : ''}${temporal.pid ? ` (dev server pid ${temporal.pid})` : ''}`);
  const target = targetFor(config.temporal, temporal);
  const client = await connectClient(target);
  // The dev server is ours to set up; a configured cluster is set up by npm run temporal:setup.
  if (temporal.owned) await ensureSearchAttributes(client.connection, target.namespace);

  const tokenFile = await ensureAdminToken(orm, config.DATA_DIR);
  const stopWorker = new AbortController();
  const worker = runWorker(config, postgres.url, target, stopWorker.signal);
  running.set('worker', {
    stop: async () => {
      stopWorker.abort();
      await worker.catch(() => undefined);
    },
    stopped: 'Worker stopped (drained).',
  });
  const api = await startApi({ orm, temporal: client, config }, config.API_HOST, config.API_PORT);
  running.set('api', {
    stop: async () => {
      await api.close();
      await client.connection.close();
      await orm.close();
    },
    stopped: 'API stopped.',
  });
  log(`API: ${api.url}  (token for the local system administrator: ${tokenFile})`);
  log(`Console: ${api.url}/console/  (sign in with that token)`);
  log('Ready. Try: npm run demo    Stop: Ctrl-C');
  worker.catch(async (e) => {
    console.error('The worker stopped:', e);
    await stop('the worker failed', 1);
  });
}

main().catch(async (e) => {
  console.error(e instanceof TemporalUnavailableError ? e.message : e);
  await stop('start-up failed', 1);
});
