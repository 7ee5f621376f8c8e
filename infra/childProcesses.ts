import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

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

/** Spawns a server we own; `stopSignal` is what stops it cleanly. */
export function spawnServer(command: string, args: string[], options: SpawnOptions & { stopSignal: NodeJS.Signals }): ChildProcess {
  const { stopSignal, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: true });
  if (owned.size === 0) process.once('exit', killOwnedOnExit);
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
