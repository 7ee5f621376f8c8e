import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import pg from 'pg';
import { createToken } from '../../api/http/auth';
import { startApi } from '../../api/server';
import type { Role } from '../../db/entities';
import { openOrm } from '../../db/orm';
import { connectClient } from '../../temporal/connection';
import { connectWorker } from '../../worker/connection';
import { createWorker } from '../../worker/createWorker';
import { apiClient, type ApiResponse } from './apiClient';
import type { Config } from '../../infra/config';
import { testConfig, testEnv } from './globalHooks';
import { WORKER_ENV, WORKER_NODE_ARGS } from '../../worker/nodeOptions';

/**
 * The real system for one suite: a worker on its own task queue, the API on a free port,
 * and an allowed file root for the suite's files, where each domain has its area
 * (`<filesDir>/<domain>/`, areaOf).
 */
export interface TestSystem {
  api: string;
  client: Client;
  orm: MikroORM;
  db: pg.Pool;
  /** The suite's file root; a domain's files go in areaOf(domain). */
  filesDir: string;
  /** The domain's file area in the suite's root, `<filesDir>/<domain>/`, made if missing. */
  areaOf(domain: string): string;
  taskQueue: string;
  /**
   * The settings this system's worker and API were given (their loadConfig(), as it were). They
   * read it at each use, so a test may change a setting between runs, as an operator would
   * change a variable and restart; spawned workers get SystemOptions.settings instead.
   */
  config: Config;
  worker: Worker;
  token(role: Role, domain?: string): Promise<string>;
  /** fetch against the API with a token. */
  call(token: string, method: string, url: string, body?: unknown): Promise<ApiResponse>;
  /** Stops and restarts the worker (a worker restart in the middle of a run); starts one if stopped. */
  restartWorker(): Promise<void>;
  /** Stops the in-process worker (it drains) until restartWorker(). */
  stopWorker(): Promise<void>;
  /** A worker in its own process on this system's task queue, database and files; `settings` add to its environment. */
  spawnWorker(settings?: Record<string, string>): ChildProcess;
  /** Stops the API and starts it again on the same port (state must survive). */
  restartApi(): Promise<void>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  retryLimit?: number;
  retryIntervalMs?: number;
  monthlyRowLimit?: number;
  /** Report emails go here (a test's SMTP server). */
  smtpUrl?: string;
  /** Another Temporal server or database than the suite-wide ones (fault tests). */
  temporalAddress?: string;
  databaseUrl?: string;
  /** How long the API waits for a job workflow's answer (RUN_REQUEST_TIMEOUT_MS); generous by default, for a loaded machine. */
  runRequestTimeoutMs?: number;
  /** False: no worker in this process; use spawnWorker() for one a test can SIGKILL. */
  inProcessWorker?: boolean;
  /** Settings as variables (IMPORT_CHUNK_ROWS, PAYLOAD_CODEC_KEYS...), for this system's worker, API and spawned workers. */
  settings?: Record<string, string>;
}

export async function startSystem(opts: SystemOptions = {}): Promise<TestSystem> {
  const suite = testEnv();
  const env = { ...suite, temporalAddress: opts.temporalAddress ?? suite.temporalAddress, databaseUrl: opts.databaseUrl ?? suite.databaseUrl };
  const taskQueue = `test-${crypto.randomUUID()}`;
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-files-'));
  const config: Config = {
    ...testConfig(opts.settings),
    TEMPORAL_TASK_QUEUE: taskQueue,
    RUN_RETRY_LIMIT: opts.retryLimit ?? 5,
    RUN_RETRY_INTERVAL: opts.retryIntervalMs ?? 15 * 60_000,
    RUN_REQUEST_TIMEOUT_MS: opts.runRequestTimeoutMs ?? 15_000,
    MONTHLY_ROW_LIMIT: opts.monthlyRowLimit ?? 10_000_000,
    fileRoots: [filesDir],
    SMTP_URL: opts.smtpUrl,
    PUBLIC_API_URL: 'http://api.test',
    TEMPORAL_WEB_URL: 'http://temporal-web.test',
  };
  const orm = await openOrm(env.databaseUrl);
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 10 });
  // Fault tests cut connections on purpose: an idle client that drops is replaced, not fatal.
  db.on('error', () => undefined);
  const target = { ...(opts.temporalAddress ? { address: opts.temporalAddress, namespace: env.namespace } : suite.target), payloadCodecKeys: config.PAYLOAD_CODEC_KEYS };
  const client = await connectClient(target);
  const connection = await connectWorker(target);
  const newWorker = () =>
    createWorker({ connection, namespace: env.namespace, taskQueue, deps: { orm, pool: db, temporal: client, config }, payloadCodecKeys: config.PAYLOAD_CODEC_KEYS, workflowBundle: env.workflowBundle });
  const inProcess = opts.inProcessWorker ?? true;
  let worker = inProcess ? await newWorker() : undefined;
  let running = worker?.run();
  let api = await startApi({ orm, temporal: client, config }, '127.0.0.1', 0);
  const apiPort = Number(new URL(api.url).port);
  const call = apiClient(`http://127.0.0.1:${apiPort}`);
  const children = new Set<ChildProcess>();
  const stopWorker = async () => {
    worker?.shutdown();
    await running;
    worker = undefined;
    running = undefined;
  };

  return {
    api: `http://127.0.0.1:${apiPort}`,
    client,
    orm,
    db,
    filesDir,
    areaOf: (domain) => areaIn(filesDir, domain),
    taskQueue,
    config,
    get worker() {
      if (!worker) throw new Error('This system has no in-process worker.');
      return worker;
    },
    token: async (role, domain) => (await createToken(orm, { name: `${role}@${domain ?? '*'}`, role, domain })).token,
    call,
    async restartWorker() {
      await stopWorker();
      worker = await newWorker();
      running = worker.run();
    },
    stopWorker,
    spawnWorker(settings = {}) {
      // node itself with the tsx loader, not the tsx launcher: a SIGKILL must hit the worker.
      const child = spawn(process.execPath, [...WORKER_NODE_ARGS, 'worker/main.ts'], {
        cwd: path.resolve(__dirname, '../..'),
        env: {
          ...WORKER_ENV,
          ...suite.settings,
          ...opts.settings,
          DATABASE_URL: env.databaseUrl, TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: env.namespace,
          TEMPORAL_TASK_QUEUE: taskQueue, FILE_ROOTS: config.fileRoots.join(path.delimiter),
          MONTHLY_ROW_LIMIT: String(config.MONTHLY_ROW_LIMIT), LOG_LEVEL: 'warn', WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0',
          ...settings,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      // Through this process's stderr, so the quiet test output keeps it unless a test fails.
      child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async restartApi() {
      await api.close();
      api = await startApi({ orm, temporal: client, config }, '127.0.0.1', apiPort);
    },
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      await api.close();
      worker?.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
      await db.end();
      await orm.close();
      fs.rmSync(filesDir, { recursive: true, force: true });
    },
  };
}

/** A domain's file area in a root, `<root>/<domain>/`, made (0700) if missing. */
export function areaIn(root: string, domain: string): string {
  const dir = path.join(root, domain);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Polls `probe` until it returns a value that is not undefined, or fails after timeoutMs. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
