import path from 'node:path';
import { loadConfig } from '../infra/config';
import { formatElapsed } from '../infra/goInstall';
import { ensurePostgres } from '../infra/postgres';
import { portBlock, startCluster } from '../infra/temporalCluster';
import { findOrBuildServer, SERVER_VERSION } from '../infra/temporalServerBuild';
import { setupStartedCluster } from '../temporal/clusterSetup';

/**
 * `npm run temporal:cluster`             the real Temporal server (go.temporal.io/server, built
 *                                        once into JOBFLOW_CACHE_DIR) on PostgreSQL, with mTLS on
 *                                        its frontend, its Prometheus endpoint and the namespace set
 *                                        up; in the foreground until Ctrl-C. State (certificates,
 *                                        config, log) in DATA_DIR/temporal-cluster.
 * `npm run temporal:cluster -- --build`  only builds (or finds) the server and its SQL tool.
 */
async function main() {
  const config = loadConfig();
  const log = (l: string) => console.error(l);
  const binaries = await findOrBuildServer({ cacheDir: config.cacheDir, log });
  if (process.argv.includes('--build')) {
    console.log(path.dirname(binaries.server));
    return;
  }
  const pg = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT, log });
  const started = Date.now();
  const cluster = await startCluster({
    binaries,
    stateDir: path.join(config.DATA_DIR, 'temporal-cluster'),
    postgresUrl: pg.url,
    databases: { persistence: 'jobflow_temporal', visibility: 'jobflow_temporal_visibility' },
    ports: portBlock(config.TEMPORAL_CLUSTER_PORT),
    log,
  });
  const stop = async () => {
    log('Stopping the Temporal server...');
    await cluster.stop();
    await pg.stop();
    log('Stopped.');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  for (const line of await setupStartedCluster(cluster, config.TEMPORAL_NAMESPACE, config.TEMPORAL_NAMESPACE_RETENTION_DAYS)) log(line);
  log(`Temporal server ${SERVER_VERSION} on ${cluster.address} (mTLS; pid ${cluster.pid()}), ready in ${formatElapsed(Date.now() - started)}.`);
  log(`Prometheus metrics: ${cluster.metricsUrl}   Server log: ${cluster.logFile}`);
  log('Point the worker, the API and the scripts at it with:');
  for (const [key, value] of Object.entries({ ...cluster.clientEnv, TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE })) console.log(`export ${key}=${value}`);
  log('Ctrl-C stops it.');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
