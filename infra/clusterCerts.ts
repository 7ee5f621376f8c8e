import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The certificates of `npm run temporal:cluster`'s mTLS frontend: a CA of its own, the frontend's
 * certificate (for `localhost` and 127.0.0.1) and one client certificate, which the workers, the
 * API, the scripts and the server's own system worker present. Made with the machine's `openssl`
 * (node:crypto makes keys, not X.509 certificates), once: a restart keeps them, so clients
 * configured with them keep working. Private keys are 0600.
 */

export interface ClusterCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The name clients verify on the frontend's certificate. */
  serverName: string;
}

export const CLUSTER_SERVER_NAME = 'localhost';

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('openssl is needed to make the cluster\'s certificates: install it (apt-get install openssl).');
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() ?? err.message}`);
  }
}

/** A P-256 key and a certificate signed by the CA, with the given extensions. */
function issue(dir: string, name: string, subject: string, extensions: string[], ca: { cert: string; key: string }): void {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  fs.chmodSync(key, 0o600);
  fs.writeFileSync(ext, `${extensions.join('\n')}\n`);
  try {
    openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${crypto.randomBytes(16).toString('hex')}`,
      '-days', '825', '-sha256', '-extfile', ext, '-out', path.join(dir, `${name}.pem`)]);
  } finally {
    fs.rmSync(csr, { force: true });
    fs.rmSync(ext, { force: true });
  }
}

/** The certificates in `dir`, made first if any is missing. */
export function ensureClusterCerts(dir: string): ClusterCerts {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certs: ClusterCerts = {
    ca: path.join(dir, 'ca.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
    serverName: CLUSTER_SERVER_NAME,
  };
  if ([certs.ca, certs.serverCert, certs.serverKey, certs.clientCert, certs.clientKey].every((f) => fs.existsSync(f))) return certs;
  const caKey = path.join(dir, 'ca.key');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', certs.ca,
    '-days', '3650', '-sha256', '-subj', '/CN=jobflow temporal:cluster CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  fs.chmodSync(caKey, 0o600);
  const ca = { cert: certs.ca, key: caKey };
  const leaf = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'];
  issue(dir, 'server', `/CN=${CLUSTER_SERVER_NAME}`, [...leaf, 'extendedKeyUsage=serverAuth', `subjectAltName=DNS:${CLUSTER_SERVER_NAME},IP:127.0.0.1`], ca);
  issue(dir, 'client', '/CN=jobflow', [...leaf, 'extendedKeyUsage=clientAuth'], ca);
  return certs;
}
