import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { migrate, openOrm } from '../../db/orm';
import { logger } from '../../infra/logger';
import { loadConfig } from '../../infra/config';
import { ensurePostgres, recreateDatabase, withDatabase } from '../../infra/postgres';
import { freePort } from '../../infra/ports';
import { cliSettings } from '../../infra/temporalCli';
import { ensureTemporal, type TemporalServer } from '../../infra/temporalServer';
import { connectClient, targetFor, type TemporalTarget } from '../../temporal/connection';
import { failureConverterPath } from '../../temporal/dataConverter';
import { ensureSearchAttributes } from '../../temporal/searchAttributes';
import { workflowsPath } from '../../worker/createWorker';
import { sdkTestLogger } from './quietLogs';

/**
 * Root hooks for the whole test run: a real Temporal dev server (found or built, as
 * npm start does, unless TEMPORAL_ADDRESS points at one) and a real PostgreSQL with a
 * fresh `jobflow_test` database, so tests never touch a user's data.
 */

export interface TestEnv {
  temporalAddress: string;
  namespace: string;
  databaseUrl: string;
  workflowBundle: WorkflowBundleWithSourceMap;
  temporal: TemporalServer;
  /** How to connect to that server (TLS and API key of the configured cluster, if any). */
  target: TemporalTarget;
}

let env: TestEnv | undefined;
let stopPostgres: (() => Promise<void>) | undefined;

export function testEnv(): TestEnv {
  if (!env) throw new Error('The test environment is not up (test/setup/globalHooks.ts).');
  return env;
}

// Quiet workers: warnings and errors only (printed only under a test that fails: quietLogs.ts).
Runtime.install({
  logger: sdkTestLogger,
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

before(async function () {
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  // The tests' HTTPS and FTP peers can only live on loopback; tests of the refusal unset this.
  process.env.EXPORT_ALLOWED_HOSTS ??= '127.0.0.1,localhost,::1';
  this.timeout(20 * 60_000); // a first run may build the Temporal CLI
  const config = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? 'data/test' });
  const pg = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  stopPostgres = pg.stop;
  // TEST_DATABASE_NAME lets parallel test runs on one machine keep apart.
  const testDatabase = process.env.TEST_DATABASE_NAME ?? 'jobflow_test';
  const databaseUrl = withDatabase(pg.url, testDatabase);
  // Spool files are named by run id, which restarts in every test database.
  process.env.EXPORT_WORK_DIR ??= path.join(os.tmpdir(), `jobflow-export-${testDatabase}`);
  await recreateDatabase(withDatabase(pg.url, 'postgres'), testDatabase);
  const orm = await openOrm(databaseUrl);
  await migrate(orm);
  await orm.close();

  const temporal = await ensureTemporal({
    address: config.TEMPORAL_ADDRESS,
    ...cliSettings(config),
    port: await freePort(),
    namespace: config.TEMPORAL_NAMESPACE,
  });
  const target = targetFor(config.temporal, temporal);
  const client = await connectClient(target);
  await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
  await client.connection.close();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: sdkTestLogger });
  env = { temporalAddress: temporal.address, namespace: config.TEMPORAL_NAMESPACE, databaseUrl, workflowBundle, temporal, target };
});

after(async function () {
  this.timeout(60_000);
  await env?.temporal.stop();
  await stopPostgres?.();
});
