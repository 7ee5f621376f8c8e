import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setSecret } from '../../io/secrets';
import { HALTED_TYPES } from '../../domain/failures';
import { freePort } from '../../infra/ports';
import { createExportJob, rejection, runExport, runLogs, seedSections, startFtpServer, startHarness, type ExportHarness } from './fixtures';
import { EXPECTED, SECTIONS } from './sections';

/** A TCP listener that records every connection and every byte sent to it (it never answers). */
async function startListener(host: string, port = 0) {
  const connections: { from: string; data: string }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const c = { from: `${socket.remoteAddress}`, data: '' };
    connections.push(c);
    sockets.add(socket);
    socket.on('data', (d) => (c.data += d.toString('latin1')));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    connections,
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const PASSWORD = 'the-stored-ftp-password-9d8c';

/** The network policy at connect time, for the FTP control and data channels (issue 12 §5). */
describe('export network policy', () => {
  let h: ExportHarness;
  let suite: Pick<ExportHarness['config'], 'exportAllowedHosts' | 'EXPORT_FTP_TIMEOUT_MS'>;
  before(async () => {
    h = await startHarness();
    suite = { exportAllowedHosts: h.config.exportAllowedHosts, EXPORT_FTP_TIMEOUT_MS: h.config.EXPORT_FTP_TIMEOUT_MS };
  });
  // Tests change the activities' settings; each starts from the suite's.
  afterEach(() => Object.assign(h.config, suite));
  after(async () => {
    await h?.stop();
  });

  it('never connects to a refused ftp: or ftps: destination, in any spelling of a loopback host, and never sends its password', async () => {
    const listener = await startListener('127.0.0.1');
    // Were it to connect, the attempt would end quickly (the listener never answers).
    h.config.EXPORT_FTP_TIMEOUT_MS = 2000;
    h.config.exportAllowedHosts = [];
    try {
      const p = listener.port;
      const urls = [`ftp://exporter@127.0.0.1:${p}/in/x.csv`, `ftp://exporter@localhost.:${p}/in/`, `ftp://exporter@2130706433:${p}/x.csv`,
        `ftps://exporter@0x7f.1:${p}/x.csv`, `ftps://exporter@0177.0.0.1:${p}/x.csv`, `ftp://exporter@[::ffff:127.0.0.1]:${p}/x.csv`, `ftps://exporter@LOCALHOST.:${p}/x.csv`];
      for (const url of urls) {
        const { ref, jobUuid, runId } = await createExportJob(h, { destinationUrl: url });
        await setSecret(h.pool, h.key, jobUuid, 'password', PASSWORD);
        await seedSections(h.pool, ref.domain, SECTIONS);
        const err = await rejection(runExport(h, ref));
        assert.equal(err.type, HALTED_TYPES.destinationRefused, `${url}: ${err.message}`);
        assert.match(err.message, /private network.*EXPORT_ALLOWED_HOSTS/, url);
        assert.ok(!(await runLogs(h.pool, runId)).some((m) => m.includes(PASSWORD)));
      }
      assert.deepEqual(listener.connections, [], 'the listener saw a connection');
    } finally {
      await listener.close();
    }
  });

  it('sends the data channel to the control connection\'s address, not to the private address a PASV reply names', async () => {
    // The control host (127.0.0.1) is allow-listed by the test setup; 127.0.0.2 is not.
    assert.ok(!h.config.exportAllowedHosts.includes('127.0.0.2'));
    const pasvPort = await freePort();
    const elsewhere = await startListener('127.0.0.2', pasvPort);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-ftp-pasv-'));
    // EPSV refused, so the client must use PASV, whose reply names 127.0.0.2.
    const ftp = await startFtpServer(root, { user: 'exporter', password: PASSWORD }, undefined, { pasv: { address: '127.0.0.2', port: pasvPort }, refuseEpsv: true });
    h.config.EXPORT_FTP_TIMEOUT_MS = 5000;
    try {
      const { ref, jobUuid } = await createExportJob(h, { destinationUrl: ftp.url('/sections.csv') });
      await setSecret(h.pool, h.key, jobUuid, 'password', PASSWORD);
      await seedSections(h.pool, ref.domain, SECTIONS);
      const { delivered } = await runExport(h, ref);
      assert.equal(delivered.inserted, SECTIONS.length);
      assert.equal(fs.readFileSync(path.join(root, 'sections.csv'), 'utf8'), EXPECTED);
      assert.deepEqual(elsewhere.connections, [], 'the PASV address got a connection');
    } finally {
      await ftp.stop().catch(() => undefined);
      await elsewhere.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
