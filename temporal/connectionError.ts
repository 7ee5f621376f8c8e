import net from 'node:net';
import tls from 'node:tls';
import type { TemporalTarget } from './connection';

/** A failed connection to Temporal, said so an operator knows which setting to look at. */
export class TemporalConnectionError extends Error {}

const TLS_SETTINGS = 'TEMPORAL_TLS_SERVER_CA_CERT_PATH/_DATA (the CA that signed the server), TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS_CLIENT_CERT_PATH/KEY_PATH (mTLS)';

/** host and port of "host:port" or "[v6]:port". */
function hostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: address, port: 7233 };
}

const buffer = (b: Uint8Array | undefined) => (b ? Buffer.from(b) : undefined);

/**
 * The gRPC libraries say little more than "failed to connect before the deadline" when TLS is
 * wrong; a TLS handshake of our own with the same settings says why (unknown CA, wrong name...).
 */
function tlsHandshakeProblem(target: TemporalTarget): Promise<string | undefined> {
  const settings = target.tls === true ? {} : target.tls || undefined;
  if (!settings) return Promise.resolve(undefined);
  const { host, port } = hostPort(target.address);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      servername: settings.serverNameOverride ?? (net.isIP(host) ? undefined : host),
      ca: buffer(settings.serverRootCACertificate),
      cert: buffer(settings.clientCertPair?.crt),
      key: buffer(settings.clientCertPair?.key),
      ALPNProtocols: ['h2'],
    });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.once('secureConnect', () => done(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) => done(`${e.message}${e.code ? ` (${e.code})` : ''}`));
    socket.setTimeout(5_000, () => done(undefined));
  });
}

/** The error to throw when connecting to `target` failed with `cause`. */
export async function connectionError(target: TemporalTarget, cause: unknown): Promise<TemporalConnectionError> {
  const reason = (cause as Error)?.message ?? String(cause);
  const where = `Temporal at ${target.address} (namespace ${target.namespace})`;
  const tlsProblem = await tlsHandshakeProblem(target).catch(() => undefined);
  if (tlsProblem) return new TemporalConnectionError(`Could not connect to ${where}: the TLS handshake failed: ${tlsProblem}. Check ${TLS_SETTINGS}.`);
  const how = target.tls ? 'over TLS' : 'without TLS (set TEMPORAL_TLS=true, a CA or an API key if the server wants TLS)';
  return new TemporalConnectionError(`Could not connect to ${where} ${how}: ${reason}`);
}
