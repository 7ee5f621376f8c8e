import fs from 'node:fs';
import path from 'node:path';

/**
 * A lock shared by processes on one machine: a directory created atomically with mkdir,
 * holding the owner's pid. A second `npm start` waits for the first one's build instead of
 * building the same thing again; a lock left by a process that died is taken over.
 */

type Log = (line: string) => void;

const POLL_MS = 500;
const REPORT_EVERY_MS = 15_000;
/** A lock directory without its owner file this long after creation was left by a crash. */
const ORPHAN_MS = 10_000;

function ownerAlive(lockDir: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8').trim());
  } catch {
    // The owner writes its pid right after mkdir; give it a moment.
    try {
      return Date.now() - fs.statSync(lockDir).mtimeMs < ORPHAN_MS;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerPid(lockDir: string): string {
  try {
    return fs.readFileSync(path.join(lockDir, 'owner'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Runs `fn` while holding the lock `lockDir`; waits (saying so) while another process holds it. */
export async function withCacheLock<T>(lockDir: string, what: string, log: Log, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const started = Date.now();
  let reported = 0;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (!ownerAlive(lockDir)) {
      log(`Taking over ${lockDir}, left by process ${ownerPid(lockDir)}, which is gone.`);
      // Renamed first so two waiters cannot both remove it and both take it.
      const stale = `${lockDir}.stale-${process.pid}`;
      try {
        fs.renameSync(lockDir, stale);
        fs.rmSync(stale, { recursive: true, force: true });
      } catch {
        // Another waiter took it over first.
      }
      continue;
    }
    if (Date.now() - reported >= REPORT_EVERY_MS) {
      reported = Date.now();
      log(`Waiting for process ${ownerPid(lockDir)}, which is ${what} (${Math.round((Date.now() - started) / 1000)} s so far)...`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  fs.writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
