import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config';
import { freePort } from '../../infra/ports';
import { cliSettings, findOrInstallCli } from '../../infra/temporalCli';
import { startDevServer, type TemporalServer } from '../../infra/temporalServer';
import { connectClient } from '../../temporal/connection';
import { ensureSearchAttributes } from '../../temporal/searchAttributes';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { checkScheduledRuns, jobOnGeneratedFile, rowsOf, runCount, runNow, sleep, waitForEnd, waitForStatus } from './helpers';

/**
 * Scenario 2: the Temporal dev server (persisting to its file) is stopped and started during
 * a run and between scheduled runs. The run finishes; no scheduled run is lost or doubled.
 */
describe('fault: Temporal server restarted', function () {
  this.timeout(15 * 60_000);
  const config = loadConfig();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-temporal-'));
  let port: number;
  let server: TemporalServer;
  let sys: TestSystem;
  let token: string;

  const start = async () => {
    server = await startDevServer({ cliPath: await findOrInstallCli(cliSettings(config)), port, dbFile: path.join(dir, 'temporal.db') });
  };
  const restart = async (downMs: number) => {
    await server.stop();
    await sleep(downMs);
    await start();
  };

  before(async () => {
    port = await freePort();
    await start();
    const client = await connectClient({ address: server.address, namespace: 'default', payloadCodecKeys: undefined });
    await ensureSearchAttributes(client.connection, 'default');
    await client.connection.close();
    sys = await startSystem({ temporalAddress: server.address });
    token = await sys.token('domain_admin', 'tr');
  });
  after(async () => {
    await sys?.stop();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finishes a run that was in progress when the server stopped', async () => {
    await jobOnGeneratedFile(sys, token, 'tr', 'during', 100_000);
    await runNow(sys, token, 'tr', 'during');
    await waitForStatus(sys, 'tr', 'during', ['validating', 'processing', 'importing']);
    await restart(5_000);
    const run = await waitForEnd(sys, 'tr', 'during');
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.deepEqual(await rowsOf(sys, 'tr', 'during'), { total: 100_000, distinct: 100_000 });
    assert.equal(await runCount(sys, 'tr', 'during'), 1);
  });

  it('neither loses nor doubles scheduled runs across a restart', async () => {
    // Realtime: a batch import may not run more than four times a day.
    await jobOnGeneratedFile(sys, token, 'tr', 'ticking', 10, {
      mode: 'realtime', scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 4 } },
    });
    await eventually(async () => ((await runCount(sys, 'tr', 'ticking')) >= 2 ? true : undefined), 'two scheduled runs');
    await restart(9_000);
    await eventually(async () => ((await runCount(sys, 'tr', 'ticking')) >= 5 ? true : undefined), 'more scheduled runs after the restart', 120_000);
    const pausedAt = Date.now();
    await sys.call(token, 'POST', '/domains/tr/jobs/ticking/pause', { note: 'end of test' });
    await sleep(6_000);

    // Nothing lost or doubled; the schedule caught up on the ticks due while the server was down.
    await checkScheduledRuns(sys, 'tr', 'ticking', pausedAt, 4_000);
  });
});
