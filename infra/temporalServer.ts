import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { spawnServer, stopServer } from './childProcesses';
import { describePortHolder } from './portHolder';
import { portAnswers, waitForPort } from './ports';
import { findOrInstallCli, TemporalUnavailableError, type FindCliOptions } from './temporalCli';

/**
 * A Temporal server to talk to: TEMPORAL_ADDRESS (an existing cluster; start nothing), or a
 * dev server started from the Temporal CLI (found, downloaded or built: infra/temporalCli.ts).
 */

type Log = (line: string) => void;

export interface TemporalServer {
  /** host:port of the frontend. */
  address: string;
  /** Temporal Web, when this process started the dev server with its UI. */
  webUrl?: string;
  /** True when we started the server (and so may stop it). */
  owned: boolean;
  /** The dev server's process, when we started it. */
  pid?: number;
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
  /** Port of the server's Prometheus /metrics (its `action` counter), or none. */
  metricsPort?: number;
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
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));
  for (const [key, value] of Object.entries(SERVER_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  await refuseTakenPorts([opts.port, ...(opts.uiPort ? [opts.uiPort] : [])]);
  const child: ChildProcess = spawnServer(opts.cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'], stopSignal: 'SIGTERM' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Temporal dev server exited with code ${code}: ${stderr.trim()}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForPort('127.0.0.1', opts.port, 60_000), exited]);
  if (opts.uiPort) await Promise.race([waitForPort('127.0.0.1', opts.uiPort, 60_000), exited]);
  // What answered must be ours: a server that lost the port to another exits just after.
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) await exited;
  return {
    address: `127.0.0.1:${opts.port}`,
    webUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    owned: true,
    pid: child.pid,
    stop: () => stopServer(child, 10_000),
  };
}

/**
 * A port already taken is never used silently: it may be a dev server orphaned by a crash,
 * whose workflows are not the ones in DATA_DIR/temporal.db, and which nobody would stop.
 */
async function refuseTakenPorts(ports: number[]): Promise<void> {
  for (const port of ports) {
    if (!(await portAnswers(port))) continue;
    throw new TemporalUnavailableError(
      `Port ${port} is already taken, by ${describePortHolder(port)}.\n` +
        'If that is a Temporal dev server left running by an earlier start, stop it (kill <pid>); ' +
        `to use it knowingly instead, set TEMPORAL_ADDRESS=127.0.0.1:${port}; or choose other ports (TEMPORAL_PORT, TEMPORAL_UI_PORT).`,
    );
  }
}

/** TEMPORAL_ADDRESS, or else find, download or build the CLI and start a dev server. */
export async function ensureTemporal(opts: FindCliOptions & Omit<StartDevServerOptions, 'cliPath'> & { address?: string }): Promise<TemporalServer> {
  if (opts.address) return { address: opts.address, owned: false, stop: async () => undefined };
  const cliPath = await findOrInstallCli(opts);
  return startDevServer({ ...opts, cliPath });
}
