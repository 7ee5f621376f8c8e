import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { freePort, waitForPort } from '../../infra/ports';
import { loadConfig } from '../../infra/config';
import { startSystem, type TestSystem } from '../setup/system';

/**
 * The worker's metrics endpoints (jobflow's and the Temporal SDK's) listen on
 * WORKER_METRICS_HOST only: 127.0.0.1 unless set, so another machine cannot read them.
 */

/** This machine's first non-loopback IPv4 address, if it has one. */
const otherAddress = () =>
  Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = net.connect({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });

describe('worker metrics bind address', () => {
  let sys: TestSystem;
  before(async () => {
    sys = await startSystem();
  });
  after(async () => sys?.stop());

  it('defaults to 127.0.0.1', () => {
    assert.equal(loadConfig({}).WORKER_METRICS_HOST, '127.0.0.1');
  });

  it('serves both endpoints on the configured host and nowhere else', async function () {
    const other = otherAddress();
    if (!other) this.skip(); // no second address on this machine to try from
    const run = async (host: string | undefined) => {
      const [ours, sdk] = [await freePort(), await freePort()];
      const child = sys.spawnWorker({ WORKER_METRICS_PORT: String(ours), TEMPORAL_METRICS_PORT: String(sdk), ...(host ? { WORKER_METRICS_HOST: host } : {}) });
      try {
        const reachable = host === '0.0.0.0' ? other : '127.0.0.1';
        for (const port of [ours, sdk]) await waitForPort(reachable, port, 90_000);
        const res = await fetch(`http://${reachable}:${ours}/metrics`);
        assert.equal(res.status, 200);
        assert.match(await res.text(), /jobflow_/);
        return { ours: await accepts(other!, ours), sdk: await accepts(other!, sdk) };
      } finally {
        child.kill('SIGKILL');
      }
    };
    assert.deepEqual(await run(undefined), { ours: false, sdk: false }, `the default bind is reachable on ${other}`);
    // The same check sees the endpoints when they are set to every interface (it can fail).
    assert.deepEqual(await run('0.0.0.0'), { ours: true, sdk: true });
  });
});
