import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pg from 'pg';
import { createToken } from '../../api/auth';
import { startApi } from '../../api/server';
import type { Role } from '../../db/entities';
import { openOrm } from '../../db/orm';
import { connectClient } from '../../temporal/connection';
import { createWorker } from '../../worker/createWorker';
import { testEnv } from './globalHooks';

/**
 * The real system for one suite: a worker on its own task queue, the API on a free port,
 * and a folder under the allowed file roots for the suite's files.
 */
export interface TestSystem {
  api: string;
  client: Client;
  orm: MikroORM;
  db: pg.Pool;
  filesDir: string;
  taskQueue: string;
  worker: Worker;
  token(role: Role, domain?: string): Promise<string>;
  /** fetch against the API with a token. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies freely
  call(token: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  /** Stops and restarts the worker (a worker restart in the middle of a run). */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  retryLimit?: number;
  retryIntervalMs?: number;
  monthlyRowLimit?: number;
}

export async function startSystem(opts: SystemOptions = {}): Promise<TestSystem> {
  const env = testEnv();
  const taskQueue = `test-${crypto.randomUUID()}`;
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-files-'));
  const config = {
    TEMPORAL_TASK_QUEUE: taskQueue,
    RUN_RETRY_LIMIT: opts.retryLimit ?? 5,
    RUN_RETRY_INTERVAL: opts.retryIntervalMs ?? 15 * 60_000,
    MONTHLY_ROW_LIMIT: opts.monthlyRowLimit ?? 10_000_000,
    fileRoots: [filesDir, path.resolve('samples')],
  };
  const orm = await openOrm(env.databaseUrl);
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 10 });
  const client = await connectClient(env.temporalAddress, env.namespace);
  const connection = await NativeConnection.connect({ address: env.temporalAddress });
  const newWorker = () =>
    createWorker({ connection, namespace: env.namespace, taskQueue, deps: { orm, pool: db, temporal: client, config }, workflowBundle: env.workflowBundle });
  let worker = await newWorker();
  let running = worker.run();
  const api = await startApi({ orm, temporal: client, config }, '127.0.0.1', 0);

  return {
    api: api.url,
    client,
    orm,
    db,
    filesDir,
    taskQueue,
    get worker() {
      return worker;
    },
    token: async (role, domain) => (await createToken(orm, { name: `${role}@${domain ?? '*'}`, role, domain })).token,
    async call(token, method, url, body) {
      const res = await fetch(api.url + url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    async restartWorker() {
      worker.shutdown();
      await running;
      worker = await newWorker();
      running = worker.run();
    },
    async stop() {
      await api.close();
      worker.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
      await db.end();
      await orm.close();
      fs.rmSync(filesDir, { recursive: true, force: true });
    },
  };
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
