import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { loadConfig, temporalSettings } from '../../infra/config';
import { connectClient, type TemporalTarget } from '../../temporal/connection';
import { connectWorker } from '../../worker/connection';

/**
 * The Temporal client settings are Temporal's own (envconfig): a TOML profile file, overridden
 * by TEMPORAL_* variables. The CLI's dev server cannot serve TLS (no such flag in `temporal
 * server start-dev`), so TLS is checked against a TLS listener of the test's own, with a CA,
 * a server and a client certificate made here with openssl.
 */
describe('Temporal connection settings (address, namespace, TLS, API key, profiles)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-temporal-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const toml = file('temporal.toml');

  before(() => {
    for (const ca of ['ca', 'other-ca']) openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
    fs.writeFileSync(file('server.ext'), 'subjectAltName=DNS:temporal.test,IP:127.0.0.1\n');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=temporal.test');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=jobflow-worker');
    openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2');
    fs.writeFileSync(toml, `
[profile.default]
address = "default.example:7233"
namespace = "from-default-profile"

[profile.cluster]
address = "cluster.example:7233"
namespace = "jobs"
[profile.cluster.tls]
server_ca_cert_path = "${file('ca.pem')}"
client_cert_path = "${file('client.pem')}"
client_key_path = "${file('client.key')}"
server_name = "temporal.test"

[profile.cloud]
address = "acme.a1b2c.tmprl.cloud:7233"
namespace = "acme.a1b2c"
api_key = "profile-api-key"
`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const env = (vars: Record<string, string>) => ({ HOME: dir, TEMPORAL_CONFIG_FILE: toml, ...vars });

  it('reads the profile file, with TEMPORAL_* variables over it', () => {
    assert.deepEqual(
      { ...temporalSettings(env({})) },
      { address: 'default.example:7233', namespace: 'from-default-profile', tls: undefined, apiKey: undefined, metadata: undefined, payloadCodecKeys: undefined },
    );
    const cluster = temporalSettings(env({ TEMPORAL_PROFILE: 'cluster' }));
    assert.equal(cluster.address, 'cluster.example:7233');
    assert.equal(cluster.namespace, 'jobs');
    assert.ok(cluster.tls && typeof cluster.tls === 'object');
    assert.equal(cluster.tls.serverNameOverride, 'temporal.test');
    assert.equal(Buffer.from(cluster.tls.serverRootCACertificate!).toString(), fs.readFileSync(file('ca.pem'), 'utf8'));
    assert.equal(Buffer.from(cluster.tls.clientCertPair!.crt).toString(), fs.readFileSync(file('client.pem'), 'utf8'));
    // Variables win over the profile, one by one.
    const over = temporalSettings(env({ TEMPORAL_PROFILE: 'cluster', TEMPORAL_ADDRESS: '10.0.0.9:7233', TEMPORAL_TLS_SERVER_NAME: 'frontend.internal' }));
    assert.equal(over.address, '10.0.0.9:7233');
    assert.equal(over.namespace, 'jobs');
    assert.equal((over.tls as { serverNameOverride?: string }).serverNameOverride, 'frontend.internal');
    // Temporal Cloud: an API key turns TLS on (system CAs).
    const cloud = temporalSettings(env({ TEMPORAL_PROFILE: 'cloud' }));
    assert.deepEqual([cloud.address, cloud.namespace, cloud.apiKey, cloud.tls], ['acme.a1b2c.tmprl.cloud:7233', 'acme.a1b2c', 'profile-api-key', true]);
    assert.equal(temporalSettings(env({ TEMPORAL_PROFILE: 'cloud', TEMPORAL_API_KEY: 'env-key' })).apiKey, 'env-key');
    // No file, no variables: no address (npm start and the tests start a dev server), namespace "default".
    assert.deepEqual({ ...temporalSettings({ HOME: path.join(dir, 'nowhere') }) }, { address: undefined, namespace: 'default', tls: undefined, apiKey: undefined, metadata: undefined, payloadCodecKeys: undefined });
    // loadConfig takes the same resolution.
    const config = loadConfig(env({ TEMPORAL_PROFILE: 'cluster' }));
    assert.equal(config.TEMPORAL_ADDRESS, 'cluster.example:7233');
    assert.equal(config.TEMPORAL_NAMESPACE, 'jobs');
  });

  it('says clearly what is wrong with the settings', () => {
    assert.throws(() => temporalSettings(env({ TEMPORAL_PROFILE: 'staging' })), /Invalid Temporal client settings.*Profile 'staging' not found/);
    assert.throws(() => temporalSettings(env({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('missing-ca.pem') })), /Invalid Temporal client settings.*missing-ca\.pem/);
    assert.throws(() => loadConfig(env({ TEMPORAL_TLS: 'yes' })), /TEMPORAL_TLS/);
  });

  describe('against a TLS listener that asks for a client certificate', () => {
    let server: http2.Http2SecureServer;
    let address: string;
    const clientNames: string[] = [];
    before(async () => {
      server = http2.createSecureServer({
        key: fs.readFileSync(file('server.key')), cert: fs.readFileSync(file('server.pem')),
        ca: fs.readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true,
      });
      server.on('secureConnection', (s: TLSSocket) => clientNames.push(String(s.getPeerCertificate().subject?.CN)));
      // Not a Temporal server: every call is answered "unimplemented", after the handshake.
      server.on('stream', (stream) => stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'not temporal' }, { endStream: true }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    const target = (vars: Record<string, string>): TemporalTarget => ({ ...temporalSettings(env({ TEMPORAL_PROFILE: 'cluster', TEMPORAL_ADDRESS: address, ...vars })), address });

    it('a CA that did not sign the server fails with a message naming the TLS settings (client and worker)', async () => {
      const wrong = target({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('other-ca.pem') });
      for (const connect of [connectClient, connectWorker]) {
        await assert.rejects(connect(wrong), (e: Error) => {
          assert.match(e.message, new RegExp(`Could not connect to Temporal at ${address} \\(namespace jobs\\): the TLS handshake failed: .*certificate`, 's'));
          assert.match(e.message, /TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
          return true;
        });
      }
    });

    it('the right CA and the profile client certificate connect (mTLS)', async () => {
      clientNames.length = 0;
      // The SDK takes an "unimplemented" GetSystemInfo for an old server: the connection stands.
      const client = await connectClient(target({}));
      await client.connection.close();
      assert.ok(clientNames.includes('jobflow-worker'), `client certificates seen: ${clientNames.join(', ')}`);
    });
  });
});
