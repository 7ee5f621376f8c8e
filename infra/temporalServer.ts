import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitForPort } from './ports';

/**
 * Finds a Temporal server to talk to, or the Temporal CLI to start a dev server with,
 * in the order the README documents:
 *   1. TEMPORAL_ADDRESS: an existing cluster; start nothing.
 *   2. TEMPORAL_CLI_PATH: a CLI binary the user points at.
 *   3. `temporal` on PATH.
 *   4. A build cached in <cacheDir>/temporal-cli-<tag>/temporal (outside the clone).
 *   5. Build it there with `go install github.com/temporalio/cli/cmd/temporal@<tag>`.
 * The SDK's own dev-server download is not used: its host is not reachable everywhere.
 */

/** Tags tried in order; later ones carry a `replace` directive that `go install` refuses. */
export const CLI_TAGS = ['v1.5.1', 'v1.5.0', 'v1.4.1'] as const;

export class TemporalUnavailableError extends Error {}

const HOW_TO_FIX = `Choose one of:
  - install Go 1.25 or later (https://go.dev/dl/) so the Temporal CLI can be built once into the cache;
  - install the Temporal CLI (https://docs.temporal.io/cli) and put it on PATH, or set TEMPORAL_CLI_PATH;
  - point TEMPORAL_ADDRESS at a running cluster, for example the one in docker-compose.yml (localhost:7233).`;

type Log = (line: string) => void;

function runsAsCli(file: string): boolean {
  const res = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return res.status === 0 && /temporal version/i.test(res.stdout);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

function goVersion(): [number, number] | undefined {
  const res = spawnSync('go', ['version'], { encoding: 'utf8' });
  const m = res.status === 0 ? /go(\d+)\.(\d+)/.exec(res.stdout) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Builds the CLI into the cache with `go install`; returns the binary's path. */
function buildCli(cacheDir: string, log: Log): string {
  const go = goVersion();
  if (!go) throw new TemporalUnavailableError(`No Temporal server or CLI found, and Go is not installed to build one.\n${HOW_TO_FIX}`);
  if (go[0] === 1 && go[1] < 25) {
    throw new TemporalUnavailableError(`Go ${go.join('.')} is too old to build the Temporal CLI (1.25+ needed).\n${HOW_TO_FIX}`);
  }
  const failures: string[] = [];
  for (const tag of CLI_TAGS) {
    const dir = path.join(cacheDir, `temporal-cli-${tag}`);
    const staging = `${dir}.building-${process.pid}`;
    fs.mkdirSync(staging, { recursive: true });
    log(`Building the Temporal CLI ${tag} with Go into ${dir} (first time only; a few minutes)...`);
    const res = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${tag}`], {
      env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (res.status === 0) {
      // Rename into place so a concurrent build or an interrupted one never leaves half a binary.
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(staging, dir);
      return path.join(dir, 'temporal');
    }
    fs.rmSync(staging, { recursive: true, force: true });
    failures.push(`${tag}: ${(res.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  throw new TemporalUnavailableError(`Building the Temporal CLI failed:\n  ${failures.join('\n  ')}\n${HOW_TO_FIX}`);
}

/** The path of a Temporal CLI binary, found or built (steps 2 to 5 above). */
export function findOrBuildCli(opts: { cliPath?: string; cacheDir: string; log?: Log }): string {
  const log = opts.log ?? ((l) => console.error(l));
  if (opts.cliPath) {
    if (!runsAsCli(opts.cliPath)) throw new TemporalUnavailableError(`TEMPORAL_CLI_PATH=${opts.cliPath} is not a working Temporal CLI.\n${HOW_TO_FIX}`);
    return opts.cliPath;
  }
  const fromPath = onPath('temporal');
  if (fromPath && runsAsCli(fromPath)) return fromPath;
  for (const tag of CLI_TAGS) {
    const cached = path.join(opts.cacheDir, `temporal-cli-${tag}`, 'temporal');
    if (fs.existsSync(cached) && runsAsCli(cached)) return cached;
  }
  return buildCli(opts.cacheDir, log);
}

export interface TemporalServer {
  /** host:port of the frontend. */
  address: string;
  /** Temporal Web, when this process started the dev server with its UI. */
  webUrl?: string;
  /** True when we started the server (and so may stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface StartDevServerOptions {
  cliPath: string;
  port: number;
  /** Temporal Web's port, or undefined for a headless server. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; in-memory when undefined. */
  dbFile?: string;
  namespace?: string;
  log?: Log;
}

/**
 * Server settings for many schedules firing on the same minute (a thousand jobs every
 * minute), as deploy/temporal-dynamic-config.yaml sets them for the deployed server. Schedules
 * run on a worker inside the server; with its defaults (two pollers, 30 starts a second per
 * namespace) a burst of ticks outran its pollers, a tick not picked up within 5 s waited up
 * to a minute more, and the burst took half a minute just to start.
 */
export const SERVER_DYNAMIC_CONFIG: Record<string, unknown> = {
  'worker.perNamespaceWorkerOptions': { MaxConcurrentWorkflowTaskPollers: 8 },
  'worker.schedulerNamespaceStartWorkflowRPS': 100,
};

/** Starts `temporal server start-dev` and resolves once its frontend answers. */
export async function startDevServer(opts: StartDevServerOptions): Promise<TemporalServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  args.push('--namespace', opts.namespace ?? 'default');
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  for (const [key, value] of Object.entries(SERVER_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  const child: ChildProcess = spawn(opts.cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Temporal dev server exited with code ${code}: ${stderr.trim()}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForPort('127.0.0.1', opts.port, 60_000), exited]);
  if (opts.uiPort) await Promise.race([waitForPort('127.0.0.1', opts.uiPort, 60_000), exited]);
  return {
    address: `127.0.0.1:${opts.port}`,
    webUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    owned: true,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

/** Step 1, or else find-or-build the CLI and start a dev server. */
export async function ensureTemporal(opts: {
  address?: string;
  cliPath?: string;
  cacheDir: string;
  port: number;
  uiPort?: number;
  dbFile?: string;
  namespace?: string;
  log?: Log;
}): Promise<TemporalServer> {
  if (opts.address) return { address: opts.address, owned: false, stop: async () => undefined };
  const cliPath = findOrBuildCli(opts);
  return startDevServer({ ...opts, cliPath });
}
