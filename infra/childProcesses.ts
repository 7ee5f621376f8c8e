import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import os from 'node:os';

/**
 * The servers this process starts (Temporal dev server, embedded PostgreSQL). Each runs in its
 * own process group, so a Ctrl-C in the terminal reaches only us and we stop them in order
 * (worker, API, Temporal, PostgreSQL) instead of all at once. If this process exits without
 * stopping one (a crash), the exit hook still signals it, so none is left behind.
 */

const owned = new Map<ChildProcess, NodeJS.Signals>();

function killOwnedOnExit() {
  for (const [child, signal] of owned) child.kill(signal);
}

/**
 * In their own process group, our servers no longer get the terminal's Ctrl-C. A process that
 * handles SIGINT/SIGTERM itself (npm start stops them in order) is left to do so; one that
 * does not (a test run, a benchmark) would die without its 'exit' event, so here they are
 * stopped and the process ends as the signal would have ended it.
 */
function onSignal(signal: NodeJS.Signals) {
  if (process.listenerCount(signal) > 1) return;
  killOwnedOnExit();
  process.exit(128 + os.constants.signals[signal]);
}
let signalsHooked = false;

/** Spawns a server we own; `stopSignal` is what stops it cleanly. */
export function spawnServer(command: string, args: string[], options: SpawnOptions & { stopSignal: NodeJS.Signals }): ChildProcess {
  const { stopSignal, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: true });
  if (owned.size === 0) process.once('exit', killOwnedOnExit);
  if (!signalsHooked) {
    signalsHooked = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
  }
  owned.set(child, stopSignal);
  child.once('exit', () => {
    owned.delete(child);
    if (owned.size === 0) process.removeListener('exit', killOwnedOnExit);
  });
  return child;
}

/** Stops a server started by spawnServer; after graceMs, `lastSignal` ends it. */
export async function stopServer(child: ChildProcess, graceMs: number, lastSignal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(owned.get(child) ?? 'SIGTERM');
  const timer = setTimeout(() => child.kill(lastSignal), graceMs);
  await done;
  clearTimeout(timer);
}
