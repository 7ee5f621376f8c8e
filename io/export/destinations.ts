import fsp from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { Client as FtpClient, FTPError } from 'basic-ftp';
import { FAILED_TYPES, HALTED_TYPES } from '../../domain/failures';
import { JobFailure, jobFailure } from '../jobFailure';
import { DESTINATION_REFUSED, guardedLookup, type AllowedHosts, literalHostRefusal, normaliseHost, resolveAllowed } from '../networkPolicy';
import { OutsideAreaError, openReadStream, resolveTargetInArea, statInArea, writePrivateFile, type FileArea } from '../safeFiles';
import { redactUrl as shownUrl } from '../../domain/urlCredentials';
import type { SecretKind } from '../secrets';

/**
 * Where an export goes (PRODUCT.md, Sources and destinations). Every destination makes
 * the file appear under its final name only when it is complete: a temporary name, then
 * a rename (file:, ftp:), or one POST whose body is the whole file (https:).
 *
 * Failures are typed: a destination that cannot be reached fails the run (the job's
 * retries take over), refused credentials halt it. Messages name the destination with
 * its password removed and never include a credential.
 */

/** How deliveries connect: the operator's settings (EXPORT_*), given by the caller. */
export interface DeliveryOptions {
  /** EXPORT_ALLOWED_HOSTS: private or local hosts exports may still reach. */
  allowedHosts: AllowedHosts;
  /** EXPORT_CA_FILE: a private CA trusted besides the system's, for FTPS and HTTPS (undefined: none). */
  caFile: string | undefined;
  /** EXPORT_HTTP_TIMEOUT_MS, EXPORT_FTP_TIMEOUT_MS. */
  httpTimeoutMs: number;
  ftpTimeoutMs: number;
}

export interface Delivery {
  /** The complete spool file. */
  file: string;
  bytes: number;
  url: string;
  /** Name for a directory destination (a URL ending in `/`, or an existing directory). */
  fileName: string;
  /** The Content-Type an HTTPS receiver is told (CSV unless said). */
  contentType?: string;
  /** Changes the final name (a realtime batch goes under a name of its own). */
  nameFor?: (name: string) => string;
  /** Sent as Idempotency-Key to HTTPS receivers, so a repeated POST can be recognised. */
  deliveryId: string;
  /** The domain's file area: a file: destination must lie in it; the spool is read from workArea. */
  area: FileArea;
  workArea: FileArea;
  secret(kind: SecretKind): Promise<string | undefined>;
  progress(bytes: number): void;
}

export interface Delivered {
  /** Where the file went, for the run log (no password). */
  where: string;
  /** What the receiver said, for the run log (HTTPS status, FTP reply). */
  response?: string;
}

const unavailable = (message: string) => jobFailure(message, FAILED_TYPES.destinationUnavailable);
const refused = (message: string) => jobFailure(message, HALTED_TYPES.credentialsRefused);

/**
 * The URL for run logs and failure messages: as the API shows it (no credentials), and
 * without its query, which a log has no need of.
 */
export function redactUrl(url: string): string {
  const shown = shownUrl(url) ?? '';
  const query = shown.search(/[?#]/);
  return query < 0 ? shown : `${shown.slice(0, query)}?…`;
}

const finalName = (d: Delivery, name: string) => (d.nameFor ? d.nameFor(name) : name);

export async function deliver(d: Delivery, options: DeliveryOptions): Promise<Delivered> {
  let protocol: string;
  try {
    protocol = new URL(d.url).protocol;
  } catch {
    throw unavailable(`The destination ${redactUrl(d.url)} is not a valid URL.`);
  }
  if (protocol === 'file:') return deliverFile(d);
  if (protocol === 'ftp:' || protocol === 'ftps:') return deliverFtp(d, options);
  if (protocol === 'https:') return deliverHttps(d, options);
  throw unavailable(`Exports cannot be sent to ${protocol} destinations; use file:, ftp:, ftps: or https:.`);
}

// ---------------------------------------------------------------------------------- file:

/**
 * Through the safe file module: the folder must be in the domain's area; the file is written
 * under an unpredictable dot name created exclusively (never through a link planted there),
 * then renamed in its folder (a link planted at the final name is replaced, not followed).
 */
async function deliverFile(d: Delivery): Promise<Delivered> {
  const outside = (e: OutsideAreaError) =>
    jobFailure(`${e.message}. Move the destination into the domain's area and change the job (README, File areas).`, HALTED_TYPES.outsideFileArea);
  let target: { dir: string; name?: string };
  try {
    target = await resolveTargetInArea(d.url, d.area);
  } catch (e) {
    throw e instanceof OutsideAreaError ? outside(e) : e;
  }
  if (!(await statInArea(target.dir, d.area))?.stat.isDirectory()) throw unavailable(`The destination folder ${target.dir} does not exist.`);
  const final = path.join(target.dir, finalName(d, target.name ?? d.fileName));
  try {
    let sent = 0;
    await writePrivateFile(final, async (h) => {
      for await (const chunk of openReadStream(d.file, { area: d.workArea })) {
        await h.write(chunk as Buffer);
        d.progress((sent += (chunk as Buffer).length));
      }
    }, d.area);
  } catch (e) {
    if (e instanceof OutsideAreaError) throw outside(e);
    throw unavailable(`Writing ${final} failed: ${(e as Error).message}`);
  }
  return { where: `file://${final}` };
}

// ---------------------------------------------------------------------------------- ftp:

/** A CA to trust besides the system's (EXPORT_CA_FILE), for FTPS and HTTPS. */
async function customCa(file: string | undefined): Promise<string[] | undefined> {
  if (!file) return undefined;
  const ca = await fsp.readFile(file, 'utf8').catch((e: Error) => {
    throw unavailable(`EXPORT_CA_FILE (${file}) cannot be read: ${e.message}`);
  });
  return [...tls.rootCertificates, ca];
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

function ftpFailure(e: unknown, where: string, step: string): JobFailure {
  if (e instanceof JobFailure) return e;
  if (e instanceof FTPError) {
    if (e.code === 530 || e.code === 430) return refused(`${where} refused the credentials (${e.code}). Set the job's password again.`);
    return unavailable(`${where}: ${step} failed with FTP reply ${e.code}.`);
  }
  const err = e as NodeJS.ErrnoException;
  if (err.code && NETWORK_CODES.has(err.code)) return unavailable(`${where} cannot be reached (${err.code}) while trying to ${step}.`);
  if (/timeout/i.test(err.message ?? '')) return unavailable(`${where} did not answer in time while trying to ${step}.`);
  if (/certificate|self[- ]signed|SSL|TLS/i.test(err.message ?? '')) {
    return unavailable(`${where}: the TLS certificate is not trusted (${err.code ?? err.message}). Set EXPORT_CA_FILE for a private CA.`);
  }
  return unavailable(`${where}: ${step} failed (${err.code ?? 'error'}).`);
}

async function deliverFtp(d: Delivery, options: DeliveryOptions): Promise<Delivered> {
  const u = new URL(d.url);
  const secure = u.protocol === 'ftps:';
  const port = u.port ? Number(u.port) : 21;
  const remote = decodeURIComponent(u.pathname);
  const isDir = remote === '' || remote.endsWith('/');
  const dir = isDir ? remote || '/' : path.posix.dirname(remote);
  const name = finalName(d, isDir ? d.fileName : path.posix.basename(remote));
  const where = `${u.protocol}//${u.host}${path.posix.join(dir, name)}`;
  // The network policy before anything else: a refused host gets no connection and no password.
  const target = await resolveAllowed(u.hostname, options.allowedHosts).catch((e: NodeJS.ErrnoException) => {
    if (e.code === DESTINATION_REFUSED) throw jobFailure(`${where}: ${e.message}.`, HALTED_TYPES.destinationRefused);
    throw ftpFailure(e, where, 'connect');
  });
  const user = decodeURIComponent(u.username) || 'anonymous';
  // Credentials come from the secret store only (a password in the URL is refused at save).
  const password = (await d.secret('password')) ?? (user === 'anonymous' ? 'guest' : undefined);
  if (password === undefined) throw refused(`${where}: the job has no password for user ${user}. Set the job's password.`);

  // Data connections go to the control connection's (checked) address, never to the address
  // a PASV reply names (EPSV names none): a server cannot point the upload at another host.
  const client = new FtpClient(options.ftpTimeoutMs, { allowSeparateTransferHost: false });
  let step = 'connect';
  try {
    const host = normaliseHost(u.hostname);
    await client.access({
      // The checked address, not the name (DNS cannot swap another in).
      host: target[0]!.address,
      port,
      user,
      password,
      secure: secure ? (port === 990 ? 'implicit' : true) : false,
      secureOptions: secure
        ? { ca: await customCa(options.caFile), servername: host.address ? undefined : host.host, rejectUnauthorized: true }
        : undefined,
    });
    step = 'upload';
    client.trackProgress((info) => d.progress(info.bytesOverall));
    const temp = path.posix.join(dir, `${name}.part`);
    const final = path.posix.join(dir, name);
    await client.uploadFrom(openReadStream(d.file, { area: d.workArea }), temp);
    client.trackProgress();
    step = 'rename';
    let reply;
    try {
      reply = await client.rename(temp, final);
    } catch (e) {
      // Some servers refuse to rename onto an existing file: remove the old one, then rename.
      if (!(e instanceof FTPError)) throw e;
      await client.remove(final, true);
      reply = await client.rename(temp, final);
    }
    return { where, response: `${reply.code} ${reply.message}`.trim() };
  } catch (e) {
    throw ftpFailure(e, where, step);
  } finally {
    client.close();
  }
}

// -------------------------------------------------------------------------------- https:


/** The URL's query with the job's secret parameters (the `query` secret) appended. */
const withSecretQuery = (search: string, secret: string | undefined) => (secret ? `${search ? `${search}&` : '?'}${secret}` : search);

async function deliverHttps(d: Delivery, options: DeliveryOptions): Promise<Delivered> {
  const u = new URL(d.url);
  const where = redactUrl(d.url);
  // Literal addresses skip DNS, so the guarded lookup never sees them: check them here.
  const literal = literalHostRefusal(u.hostname, options.allowedHosts);
  if (literal) throw jobFailure(`${where}: ${literal}.`, HALTED_TYPES.destinationRefused);
  const headers: Record<string, string | number> = {
    'content-type': d.contentType ?? 'text/csv; charset=utf-8',
    'content-length': d.bytes,
    'idempotency-key': d.deliveryId,
  };
  const token = await d.secret('token');
  const user = decodeURIComponent(u.username);
  // Credentials come from the secret store only (refused in the URL at save).
  const password = user ? await d.secret('password') : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  else if (user) headers.authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  const ca = await customCa(options.caFile);
  const secretQuery = await d.secret('query');

  const status = await new Promise<{ code: number; message: string }>((resolve, reject) => {
    const req = https.request(
      {
        protocol: 'https:',
        hostname: u.hostname,
        port: u.port || 443,
        path: u.pathname + withSecretQuery(u.search, secretQuery),
        method: 'POST',
        headers,
        ca,
        rejectUnauthorized: true,
        timeout: options.httpTimeoutMs,
        lookup: guardedLookup(options.allowedHosts),
      },
      (res) => {
        // The body is read (and dropped) so the connection closes cleanly; only the status is kept.
        res.resume();
        res.on('end', () => resolve({ code: res.statusCode ?? 0, message: res.statusMessage ?? '' }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    let sent = 0;
    const body = openReadStream(d.file, { area: d.workArea });
    body.on('data', (chunk) => {
      sent += chunk.length;
      d.progress(sent);
    });
    body.on('error', (e) => req.destroy(e));
    body.pipe(req);
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === DESTINATION_REFUSED) throw jobFailure(`${where}: ${e.message}.`, HALTED_TYPES.destinationRefused);
    if (e.code && NETWORK_CODES.has(e.code)) throw unavailable(`${where} cannot be reached (${e.code}).`);
    if (e.code?.startsWith('ERR_TLS') || /certificate|self[- ]signed|SSL/i.test(e.message) || e.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || e.code === 'SELF_SIGNED_CERT_IN_CHAIN') {
      throw unavailable(`${where}: the TLS certificate is not trusted (${e.code ?? 'TLS error'}). Set EXPORT_CA_FILE for a private CA.`);
    }
    throw unavailable(`${where}: the POST failed (${e.code ?? e.message}).`);
  });

  const response = `HTTP ${status.code}${status.message ? ` ${status.message}` : ''}`;
  if (status.code >= 200 && status.code < 300) return { where, response };
  if (status.code === 401 || status.code === 403) throw refused(`${where} refused the credentials (${response}). Set the job's token or password again.`);
  throw unavailable(`${where} answered ${response}.`);
}
