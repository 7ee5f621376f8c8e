import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config';
import { freeClusterPorts, startCluster, type TemporalCluster } from '../../infra/temporalCluster';
import { findOrBuildServer } from '../../infra/temporalServerBuild';
import { setupStartedCluster } from '../../temporal/clusterSetup';

/**
 * `npm run test:cluster` loads this as a root hook plugin (`--require`), so it runs before
 * test/setup/globalHooks.ts: it starts the real Temporal server as `npm run temporal:cluster`
 * does (built once into the cache; fresh databases named after TEST_DATABASE_NAME; free ports),
 * sets its namespace up, and hands its mTLS client settings and a payload key to everything
 * after it through the standard variables (TEMPORAL_ADDRESS, TEMPORAL_TLS_*, PAYLOAD_CODEC_KEYS),
 * which globalHooks, startSystem and spawned workers read.
 */

let cluster: TemporalCluster | undefined;
let stateDir: string | undefined;

/** The server under test (to restart it, to read its metrics). */
export function testCluster(): TemporalCluster {
  if (!cluster) throw new Error('No Temporal cluster: run these tests with npm run test:cluster.');
  return cluster;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(40 * 60_000); // a first run builds the server
    const config = loadConfig();
    const binaries = await findOrBuildServer({ cacheDir: config.cacheDir });
    const testDatabase = process.env.TEST_DATABASE_NAME ?? 'jobflow_test';
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-cluster-'));
    cluster = await startCluster({
      binaries,
      stateDir,
      postgresUrl: config.DATABASE_URL && config.DATABASE_URL !== 'embedded' ? config.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres',
      databases: { persistence: `${testDatabase}_temporal`, visibility: `${testDatabase}_temporal_visibility` },
      ports: await freeClusterPorts(),
      fresh: true,
      log: () => undefined,
    });
    Object.assign(process.env, cluster.clientEnv);
    process.env.PAYLOAD_CODEC_KEYS = `cluster:${crypto.randomBytes(32).toString('base64')}`;
    await setupStartedCluster(cluster, config.TEMPORAL_NAMESPACE, config.TEMPORAL_NAMESPACE_RETENTION_DAYS);
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await cluster?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  },
};
