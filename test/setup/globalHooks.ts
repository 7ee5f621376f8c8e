import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { migrate, openOrm } from '../../db/orm';
import { logger } from '../../infra/logger';
import { loadConfig, type Config } from '../../infra/config';
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
  /** The environment tests' configurations are parsed from (testConfig()) and spawned workers get. */
  settings: Record<string, string | undefined>;
}

let env: TestEnv | undefined;
let stopPostgres: (() => Promise<void>) | undefined;

export function testEnv(): TestEnv {
  if (!env) throw new Error('The test environment is not up (test/setup/globalHooks.ts).');
  return env;
}

/**
 * A whole configuration for a test's worker, API or activities, parsed by loadConfig() (the
 * services' own rules) from the suite's settings with `overrides` (variables, as an operator
 * would set them). Every part gets its settings from here, as the services get theirs from
 * their environment: nothing is read from process.env where it is used.
 */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({ ...testEnv().settings, ...overrides });
}

// Quiet workers: warnings and errors only (printed only under a test that fails: quietLogs.ts).
Runtime.install({
  logger: sdkTestLogger,
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

before(async function () {
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  this.timeout(20 * 60_000); // a first run may build the Temporal CLI
  const config = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? 'data/test' });
  const pg = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  stopPostgres = pg.stop;
  // TEST_DATABASE_NAME lets parallel test runs on one machine keep apart.
  const testDatabase = process.env.TEST_DATABASE_NAME ?? 'jobflow_test';
  const databaseUrl = withDatabase(pg.url, testDatabase);
  const settings = {
    ...process.env,
    // The tests' HTTPS and FTP peers can only live on loopback; tests of the refusal change this.
    EXPORT_ALLOWED_HOSTS: process.env.EXPORT_ALLOWED_HOSTS ?? '127.0.0.1,localhost,::1',
    // Spool files are named by run id, which restarts in every test database.
    EXPORT_WORK_DIR: process.env.EXPORT_WORK_DIR ?? path.join(os.tmpdir(), `jobflow-export-${testDatabase}`),
  };
  await recreateDatabase(withDatabase(pg.url, 'postgres'), testDatabase);
  const orm = await openOrm(databaseUrl);
  await migrate(orm, config);
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
  env = { temporalAddress: temporal.address, namespace: config.TEMPORAL_NAMESPACE, databaseUrl, workflowBundle, temporal, target, settings };
});

after(async function () {
  this.timeout(60_000);
  await env?.temporal.stop();
  await stopPostgres?.();
});
