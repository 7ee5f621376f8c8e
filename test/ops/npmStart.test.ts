import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config';
import { freePort, portAnswers } from '../../infra/ports';
import { cliSettings, findOrInstallCli } from '../../infra/temporalCli';

/**
 * `npm start` as a user runs it, with the embedded PostgreSQL, its own DATA_DIR and ports:
 * however it is told to stop (SIGINT or SIGTERM to npm's own process, as a process manager
 * does; Ctrl-C in a terminal, which signals the whole process group), it stops the worker
 * (drained), the API, Temporal and PostgreSQL in that order, and leaves no process behind.
 */

const ROOT = path.resolve(__dirname, '../..');

interface Started {
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
  postgresPid: number;
  temporalPid: number;
  ports: number[];
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

describe('npm start: stopping in order', function () {
  this.timeout(5 * 60_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-start-'));
  // As a clone's folder usually is: others may pass through (as root, PostgreSQL runs as `postgres`).
  fs.chmodSync(dataDir, 0o755);
  let env: NodeJS.ProcessEnv;
  let ports: number[];

  before(async () => {
    const cli = await findOrInstallCli(cliSettings(loadConfig()));
    ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const [api, temporal, ui, pg] = ports;
    env = {
      ...process.env, DATA_DIR: dataDir, DATABASE_URL: 'embedded', EMBEDDED_POSTGRES_PORT: String(pg),
      TEMPORAL_CLI_PATH: cli, TEMPORAL_PORT: String(temporal), TEMPORAL_UI_PORT: String(ui), API_PORT: String(api),
      WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', LOG_LEVEL: 'warn',
    };
    delete env.TEMPORAL_ADDRESS;
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  /** Runs `npm start` in a process group of its own (as a terminal would) until it says Ready. */
  async function npmStart(): Promise<Started> {
    const child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await Promise.race([
      new Promise<void>((resolve) => {
        const check = () => (output.includes('Ready.') ? resolve() : setTimeout(check, 200));
        check();
      }),
      exited.then((code) => assert.fail(`npm start exited with ${code} before it was ready:\n${output}`)),
    ]);
    const pid = (re: RegExp) => Number(re.exec(output)?.[1]);
    return {
      pid: child.pid!, output: () => output, exited,
      postgresPid: pid(/PostgreSQL: embedded, pid (\d+)/), temporalPid: pid(/dev server pid (\d+)/), ports,
    };
  }

  async function assertStoppedInOrder(run: Started, signal: string) {
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, 0, out);
    const order = [`Stopping (${signal})`, 'Worker stopped (drained).', 'API stopped.', 'Temporal stopped.', 'PostgreSQL stopped.', 'Stopped.'];
    const at = order.map((line) => out.indexOf(line));
    assert.ok(at.every((i) => i >= 0), `every step is reported:\n${out}`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, `in order:\n${out}`);
    assert.doesNotMatch(out, /PostgreSQL connection lost|Error|exited with code/, 'nothing broke on the way down');
    // Nothing left: the servers, and every process of the group npm started.
    await waitUntil(() => gone(run.postgresPid) && gone(run.temporalPid) && gone(-run.pid), 'every process gone');
    for (const port of run.ports) assert.equal(await portAnswers(port), false, `port ${port} is free again`);
  }

  it('keeps the embedded cluster under DATA_DIR, owned by the user it runs as', async () => {
    const run = await npmStart();
    try {
      const cluster = path.join(dataDir, 'postgres');
      assert.ok(fs.existsSync(path.join(cluster, 'PG_VERSION')), fs.readdirSync(dataDir).join(', '));
      const owner = process.getuid?.() === 0 ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })) : process.getuid?.();
      assert.equal(fs.statSync(cluster).uid, owner);
    } finally {
      process.kill(run.pid, 'SIGINT');
    }
    await assertStoppedInOrder(run, 'SIGINT');
  });

  it('as root, says what to do when the user PostgreSQL runs as cannot reach DATA_DIR, and leaves nothing running', async function () {
    if (process.getuid?.() !== 0) this.skip(); // only root hands the cluster to another user
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-closed-')); // mode 0700
    const setfacl = spawnSync('sh', ['-c', 'command -v setfacl']).status === 0;
    try {
      const child = spawn('npm', ['start'], { cwd: ROOT, env: { ...env, DATA_DIR: path.join(closed, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      if (setfacl) {
        // With setfacl, the one closed folder is opened to that user alone, and we are told.
        await waitUntil(() => out.includes('Ready.') || child.exitCode !== null, 'ready', 4 * 60_000);
        assert.match(out, new RegExp(`Let the user postgres pass through ${closed} \\(ACL`));
        child.kill('SIGINT');
        await new Promise((r) => child.once('exit', r));
      } else {
        const code = await new Promise((r) => child.once('exit', r));
        assert.equal(code, 1, out);
        assert.match(out, new RegExp(`cannot reach ${closed}/data/postgres: ${closed} is closed to other users\\. Either let that user through \\(\`setfacl -m u:postgres:x ${closed}\`\\)`));
        assert.doesNotMatch(out, /Temporal:/, 'nothing else was started');
      }
    } finally {
      fs.rmSync(closed, { recursive: true, force: true });
    }
  });

  it('stops in order on SIGTERM to npm\'s own process', async () => {
    const run = await npmStart();
    process.kill(run.pid, 'SIGTERM');
    await assertStoppedInOrder(run, 'SIGTERM');
  });

  it('stops in order on Ctrl-C (SIGINT to the whole process group)', async () => {
    const run = await npmStart();
    process.kill(-run.pid, 'SIGINT');
    await assertStoppedInOrder(run, 'SIGINT');
  });
});

async function waitUntil(ok: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
