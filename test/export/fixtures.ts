import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { FileSystem, FtpSrv } from 'ftp-srv';
import pg from 'pg';
import { createActivities, type RunRef } from '../../activities';
import type { ActivityConfig } from '../../activities/deps';
import { openOrm } from '../../db/orm';
import type { RunCounters } from '../../domain/runStatus';
import { freePort } from '../../infra/ports';
import { secretsKey, type SecretsKey } from '../../io/secrets';
import { testConfig, testEnv } from '../setup/globalHooks';
import { areaIn } from '../setup/system';

/**
 * What the export tests share: the activities bound to the test database, job and run rows
 * made the way the API and the run workflow make them, and real FTP and HTTPS servers.
 */

export interface ExportHarness {
  orm: MikroORM;
  pool: pg.Pool;
  /** The allowed file root; a domain's files go in areaOf(domain). */
  filesDir: string;
  /** `<filesDir>/<domain>/`, made if missing. */
  areaOf(domain: string): string;
  /** A new domain and a fresh folder in its area (for a destination). */
  outFolder(prefix: string): { domain: string; out: string };
  activities: ReturnType<typeof createActivities>;
  /** The activities' settings (testConfig()); they read it at each call, so a test may change one (EXPORT_CA_FILE...). */
  config: ActivityConfig;
  /** The secrets key the activities decrypt with (SECRETS_KEY), for a test that stores a credential. */
  key: SecretsKey;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<ExportHarness> {
  const env = testEnv();
  const orm = await openOrm(env.databaseUrl);
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 5 });
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-export-test-'));
  const config: ActivityConfig = { ...testConfig(), fileRoots: [filesDir], TEMPORAL_TASK_QUEUE: 'unused' };
  const activities = createActivities({
    orm,
    pool,
    // Export activities never talk to Temporal; the schedule activities that do are not called here.
    temporal: undefined as unknown as Client,
    config,
  });
  return {
    orm,
    pool,
    filesDir,
    config,
    key: secretsKey(config.SECRETS_KEY),
    areaOf: (domain) => areaIn(filesDir, domain),
    outFolder(prefix) {
      const domain = newDomain();
      return { domain, out: fs.mkdtempSync(path.join(areaIn(filesDir, domain), prefix)) };
    },
    activities,
    async stop() {
      await pool.end();
      await orm.close();
      fs.rmSync(filesDir, { recursive: true, force: true });
    },
  };
}

/** A fresh domain name, so its rows are its own. */
export const newDomain = () => `d${crypto.randomBytes(4).toString('hex')}`;

/** A new export job (a fresh domain unless given, so its sections are its own) with run 1 recorded. */
export async function createExportJob(
  h: ExportHarness,
  opts: { domain?: string; identifier?: string; destinationUrl: string; rules?: Record<string, unknown>; taskType?: string; mode?: 'batch' | 'realtime' },
): Promise<{ ref: RunRef; jobUuid: string; runId: string }> {
  const domain = opts.domain ?? newDomain();
  const identifier = opts.identifier ?? 'export';
  const jobUuid = crypto.randomUUID();
  await h.pool.query(
    `insert into jobs (id, domain, identifier, name, task_type, direction, mode, rules, destination_url)
     values ($1, $2, $3, 'Export', $4, 'export', $7, $5, $6)`,
    [jobUuid, domain, identifier, opts.taskType ?? 'sectionsCsv', JSON.stringify(opts.rules ?? {}), opts.destinationUrl, opts.mode ?? 'batch'],
  );
  const ref = { domain, jobId: identifier, runNumber: 1 };
  await h.activities.recordRunStart({ ...ref, trigger: 'manual', attempt: 1 });
  const { rows } = await h.pool.query<{ id: string }>('select id from runs where job_id = $1 and number = 1', [jobUuid]);
  return { ref, jobUuid, runId: rows[0]!.id };
}

/** A second run of the same job (as a retry would be). */
export async function nextRun(h: ExportHarness, ref: RunRef): Promise<RunRef> {
  const next = { ...ref, runNumber: ref.runNumber + 1 };
  await h.activities.recordRunStart({ ...next, trigger: 'retry', attempt: 2 });
  return next;
}

export type SectionSeed = Record<string, string | number | null>;

const SECTION_COLUMNS = ['section_id', 'course_code', 'section_number', 'title', 'instructor', 'term', 'campus', 'status',
  'meeting_days', 'start_time', 'end_time', 'room', 'capacity', 'enrolled'] as const;

export async function seedSections(pool: pg.Pool, domain: string, rows: SectionSeed[]): Promise<void> {
  for (const r of rows) {
    await pool.query(
      `insert into sections (domain, ${SECTION_COLUMNS.join(', ')}) values ($1, ${SECTION_COLUMNS.map((_, i) => `$${i + 2}`).join(', ')})`,
      [domain, ...SECTION_COLUMNS.map((c) => r[c] ?? (c === 'status' ? 'active' : null))],
    );
  }
}

/** An activity context whose expected failures stay out of the test output. */
export const activityEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

/** Runs both export phases as the run workflow does, each in its own activity context. */
export async function runExport(h: ExportHarness, ref: RunRef): Promise<{ extracted: RunCounters; delivered: RunCounters }> {
  const extracted: RunCounters = await activityEnv().run(h.activities.extractExport, ref);
  const delivered: RunCounters = await activityEnv().run(h.activities.deliverExport, ref);
  return { extracted, delivered };
}

/** The rejection of `promise`, which must reject. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { type?: string; nonRetryable?: boolean }> {
  try {
    await promise;
  } catch (e) {
    return e as Error & { type?: string };
  }
  throw new Error('expected a failure, but it succeeded');
}

export async function runLogs(pool: pg.Pool, runId: string): Promise<string[]> {
  const { rows } = await pool.query<{ message: string }>('select message from run_logs where run_id = $1 order by id', [runId]);
  return rows.map((r) => r.message);
}

// ------------------------------------------------------------------------------- servers

/** A private CA and a certificate for 127.0.0.1/localhost signed by it, made with openssl. */
export function makeCertificates(dir: string): { caFile: string; key: string; cert: string; ca: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=jobflow test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return { caFile: path.join(dir, 'ca.crt'), key: read('server.key'), cert: read('server.crt'), ca: read('ca.crt') };
}

export interface Received {
  /** The request's path and query. */
  url: string;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
  status: number;
}

/** An HTTPS receiver: answers `respond()` (200 unless changed), and keeps every POST it got. */
export async function startHttpsReceiver(tlsFiles: { key: string; cert: string }, opts: { token: string }) {
  const received: Received[] = [];
  let respond: (req: { authorization?: string }) => number = (req) => (req.authorization === `Bearer ${opts.token}` ? 200 : 401);
  const server = https.createServer({ key: tlsFiles.key, cert: tlsFiles.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = respond({ authorization: req.headers.authorization });
      received.push({ url: req.url ?? '', body: Buffer.concat(chunks), headers: req.headers, status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'thanks' : 'no');
    });
  });
  let port = 0;
  const listen = (p: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
  await listen(0);
  return {
    received,
    get url() {
      return `https://127.0.0.1:${port}/inbox/sections.csv`;
    },
    setResponder(fn: typeof respond) {
      respond = fn;
    },
    /** Stops listening (connections are refused) until `start` again on the same port. */
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
    start: () => listen(port),
  };
}

/** A server file system whose uploads break after `limit()` bytes, when it says so (a full disk, a dropped link). */
class BreakingFileSystem extends FileSystem {
  constructor(connection: ConstructorParameters<typeof FileSystem>[0], root: string, private readonly limit: () => number | undefined) {
    super(connection, { root, cwd: '/' });
  }

  override write(fileName: string, opts?: { append?: boolean; start?: unknown }) {
    const res = super.write(fileName, opts) as { stream: NodeJS.WritableStream & { destroy(e: Error): void } };
    const limit = this.limit();
    if (limit !== undefined) {
      const write = res.stream.write.bind(res.stream) as (chunk: Buffer, ...rest: unknown[]) => boolean;
      let received = 0;
      res.stream.write = ((chunk: Buffer, ...rest: unknown[]) => {
        received += chunk.length;
        if (received > limit) {
          res.stream.destroy(new Error('No space left on device'));
          return false;
        }
        return write(chunk, ...rest);
      }) as typeof res.stream.write;
    }
    return res;
  }
}

/** An FTP (or, with tls, explicit FTPS) server on 127.0.0.1 whose one user writes into `root`. */
export async function startFtpServer(
  root: string,
  creds: { user: string; password: string },
  tlsFiles?: { key: string; cert: string },
  opts: {
    breakUploadsAfter?: () => number | undefined;
    /** What PASV replies name as the data address (the server still listens on 127.0.0.1), and on which one port. */
    pasv?: { address: string; port: number };
    /** Answer EPSV 502, so clients fall back to PASV. */
    refuseEpsv?: boolean;
  } = {},
) {
  const port = await freePort();
  const pasvMin = opts.pasv?.port ?? (await freePort());
  const make = () => {
    const server = new FtpSrv({
      url: `ftp://127.0.0.1:${port}`,
      // A function, so ftp-srv does not swap in the client's address for a local client.
      pasv_url: (opts.pasv ? () => opts.pasv!.address : '127.0.0.1') as string,
      pasv_min: pasvMin,
      pasv_max: opts.pasv ? pasvMin : Math.min(pasvMin + 200, 65535),
      blacklist: opts.refuseEpsv ? ['EPSV'] : [],
      anonymous: false,
      greeting: 'jobflow test FTP',
      tls: tlsFiles ? { key: tlsFiles.key, cert: tlsFiles.cert } : false,
      log: silentLog,
    });
    server.on('login', ({ connection, username, password }, resolve, reject) => {
      if (username === creds.user && password === creds.password) {
        resolve(opts.breakUploadsAfter ? { fs: new BreakingFileSystem(connection, root, opts.breakUploadsAfter) } : { root });
      }
      else reject(new Error('Login incorrect'));
    });
    return server;
  };
  let server = make();
  await server.listen();
  return {
    port,
    url: (pathName: string, scheme = tlsFiles ? 'ftps' : 'ftp') => `${scheme}://${creds.user}@127.0.0.1:${port}${pathName}`,
    async stop() {
      await server.close();
    },
    async start() {
      server = make();
      await server.listen();
    },
  };
}

// ftp-srv logs with bunyan by default; the tests keep their output to failures.
const noop = () => undefined;
const silentLog: Record<string, unknown> = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop };
silentLog.child = () => silentLog;
