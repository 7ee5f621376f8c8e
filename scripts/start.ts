import fs from 'node:fs';
import path from 'node:path';
import { startApi } from '../api/server';
import { migrate, openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { ensurePostgres } from '../infra/postgres';
import { ensureTemporal, TemporalUnavailableError } from '../infra/temporalServer';
import { connectClient, targetFor } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { installRuntime } from '../worker/observability';
import { runWorker } from '../worker/runtime';
import { ensureAdminToken } from './adminToken';

/**
 * `npm start`: the whole system on its embedded defaults, in one process tree: PostgreSQL
 * (found or embedded), migrations, the Temporal dev server (found or built, persisting to
 * DATA_DIR/temporal.db, Temporal Web on), the worker and the API. Ctrl-C stops all of it.
 */
async function main() {
  const config = loadConfig();
  installRuntime({ temporalMetricsPort: config.TEMPORAL_METRICS_PORT });
  const log = (l: string) => console.log(l);
  fs.mkdirSync(path.join(config.DATA_DIR, 'files'), { recursive: true });

  const postgres = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT, log });
  log(`PostgreSQL: ${postgres.source === 'embedded' ? 'embedded' : postgres.source === 'local' ? '127.0.0.1:5432' : 'DATABASE_URL'} (${new URL(postgres.url).pathname.slice(1)})`);
  const orm = await openOrm(postgres.url);
  const applied = await migrate(orm);
  if (applied.length) log(`Migrations applied: ${applied.join(', ')}`);

  const temporal = await ensureTemporal({
    address: config.TEMPORAL_ADDRESS,
    cliPath: config.TEMPORAL_CLI_PATH,
    cacheDir: config.cacheDir,
    port: config.TEMPORAL_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: path.join(config.DATA_DIR, 'temporal.db'),
    namespace: config.TEMPORAL_NAMESPACE,
    log,
  });
  log(`Temporal: ${temporal.address}${temporal.webUrl ? `; Temporal Web: ${temporal.webUrl}` : ''}`);
  const target = targetFor(config.temporal, temporal);
  const client = await connectClient(target);
  // The dev server is ours to set up; a configured cluster is set up by npm run temporal:setup.
  if (temporal.owned) await ensureSearchAttributes(client.connection, target.namespace);

  const tokenFile = await ensureAdminToken(orm, config.DATA_DIR);
  const stopWorker = new AbortController();
  const worker = runWorker(config, postgres.url, target, stopWorker.signal);
  const api = await startApi({ orm, temporal: client, config }, config.API_HOST, config.API_PORT);
  log(`API: ${api.url}  (token for the local system administrator: ${tokenFile})`);
  log('Ready. Try: npm run demo    Stop: Ctrl-C');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('Stopping: API, worker, Temporal, PostgreSQL...');
    await api.close();
    stopWorker.abort();
    await worker.catch((e) => console.error('worker:', e));
    await client.connection.close();
    await orm.close();
    await temporal.stop();
    await postgres.stop();
    log('Stopped.');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  worker.catch(async (e) => {
    console.error('The worker stopped:', e);
    await stop();
  });
}

main().catch((e) => {
  console.error(e instanceof TemporalUnavailableError ? e.message : e);
  process.exit(1);
});
