import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { dataConverter, failureConverterPath } from '../temporal/dataConverter';
import { observeActivity } from './observability';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** PAYLOAD_CODEC_KEYS (undefined: plaintext payloads); the clients of this task queue must use the same. */
  payloadCodecKeys: string | undefined;
  /** A prebuilt bundle (tests build one and share it; workerBundle() gives the cached one); else workflows are bundled here. */
  workflowBundle?: WorkflowBundleOption;
}

export const workflowsPath = require.resolve('../workflows');

/** What every workflow bundle is built from (bundleWorkflowCode's options, the logger aside). */
export const bundleSources = { workflowsPath, failureConverterPath };

/** A worker that runs every workflow and activity of the system on one task queue. */
export function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities(opts.deps),
    dataConverter: dataConverter(opts.payloadCodecKeys),
    interceptors: { activity: [(ctx) => ({ inbound: observeActivity(ctx) })] },
    // On shutdown, running activities get this long to finish before they are handed back.
    shutdownGraceTime: '20 seconds',
    // Heartbeats reach the server at least this often (the default is 80% of the 30 s heartbeat
    // timeout): a cancel is delivered with a heartbeat's answer, so a canceled read stops within seconds.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
}

const ROOT = path.resolve(__dirname, '..');
const RESOLVE = ['', '.ts', '.tsx', '.js', '.mjs', '.cjs', '/index.ts', '/index.js'];
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g;
/** `import type` and `export type` statements are erased from the bundle: what they name does not count. */
const TYPE_ONLY = /\b(?:import|export)\s+type\s[^;]*?\bfrom\s*['"][^'"]*['"]/g;

/**
 * A hash of everything the workflow bundle is built from: every source file reachable from
 * workflows/index.ts and the failure converter by relative imports other than `import type` (its contents and paths),
 * the lockfile and the Temporal SDK's versions. Any change to any of them gives another bundle.
 */
export function workflowSourceHash(entries: string | string[] = Object.values(bundleSources)): string {
  const hash = crypto.createHash('sha256');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    hash.update(`${path.relative(ROOT, file)}\0${text}\0`);
    for (const m of text.replace(TYPE_ONLY, '').matchAll(IMPORT)) {
      const base = path.resolve(path.dirname(file), m[1]!);
      const found = RESOLVE.map((ext) => base + ext).find((p) => fs.statSync(p, { throwIfNoEntry: false })?.isFile());
      if (found) visit(found);
    }
  };
  [entries].flat().forEach(visit);
  for (const f of ['package-lock.json', 'node_modules/@temporalio/workflow/package.json', 'node_modules/@temporalio/worker/package.json']) {
    const p = path.join(ROOT, f);
    if (fs.existsSync(p)) hash.update(`${f}\0${fs.readFileSync(p)}\0`);
  }
  return hash.digest('hex').slice(0, 24);
}

/** Bundles in a child process: webpack's few hundred MB are the child's, returned to the system when it exits. */
const BUNDLE_SCRIPT = `
const fs = require('node:fs');
const { bundleWorkflowCode, DefaultLogger } = require('@temporalio/worker');
const [workflowsPath, failureConverterPath, out] = process.argv.slice(1);
bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: new DefaultLogger('WARN') }).then((b) => {
  const tmp = out + '.' + process.pid + '.tmp';
  fs.writeFileSync(tmp, b.code);
  fs.renameSync(tmp, out);
}).catch((e) => { console.error(e); process.exit(1); });
`;

/**
 * The workflow bundle for a worker, built ahead of time and cached under `cacheDir`, named
 * by workflowSourceHash(): a worker never bundles (nor holds webpack's memory) itself, and a
 * bundle of other sources than today's is never used. Built on first need, in a short-lived
 * child process; workers starting together may both build it, and each renames its file into place.
 */
export async function workerBundle(cacheDir: string = path.join(os.tmpdir(), 'jobflow')): Promise<{ codePath: string }> {
  const hash = workflowSourceHash();
  const candidates = [path.join(cacheDir, 'workflow-bundles'), path.join(os.tmpdir(), 'jobflow-workflow-bundles')];
  for (const dir of candidates) {
    const codePath = path.join(dir, `workflows-${hash}.js`);
    if (fs.existsSync(codePath)) return { codePath };
  }
  let lastError: unknown;
  for (const dir of candidates) {
    const codePath = path.join(dir, `workflows-${hash}.js`);
    try {
      fs.mkdirSync(dir, { recursive: true });
      await promisify(execFile)(process.execPath, ['-e', BUNDLE_SCRIPT, workflowsPath, failureConverterPath, codePath], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
      pruneBundles(dir, codePath);
      return { codePath };
    } catch (e) {
      lastError = e; // not writable: try the next folder
    }
  }
  throw new Error(`Could not build the workflow bundle: ${String((lastError as Error)?.message ?? lastError)}`);
}

/** Bundles of other sources than today's, a day old or more, are removed (a worker reads its bundle once, at start). */
function pruneBundles(dir: string, keep: string): void {
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (p === keep || !/^workflows-[0-9a-f]+\.js(\..*\.tmp)?$/.test(name)) continue;
    const s = fs.statSync(p, { throwIfNoEntry: false });
    if (s && Date.now() - s.mtimeMs > 24 * 3600_000) fs.rmSync(p, { force: true });
  }
}
