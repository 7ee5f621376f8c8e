import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * Servers we start run in their own process group (so npm start can stop them in order); a
 * process that does not handle signals itself must still not leave them behind when it is
 * interrupted.
 */
describe('servers started by a process that is interrupted', () => {
  const ROOT = path.resolve(__dirname, '../..');
  const gone = (pid: number) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`are stopped when it gets ${signal}, and it ends as the signal would have ended it`, async () => {
      const script = `const { spawnServer } = require('./infra/childProcesses');
        const child = spawnServer('sleep', ['60'], { stdio: 'ignore', stopSignal: 'SIGTERM' });
        console.log(child.pid); setInterval(() => undefined, 1000);`;
      const host = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      const serverPid = await new Promise<number>((resolve) => host.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      assert.ok(serverPid > 0 && !gone(serverPid));
      const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
      host.kill(signal);
      assert.equal(await exited, signal === 'SIGINT' ? 130 : 143);
      const deadline = Date.now() + 10_000;
      while (!gone(serverPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(gone(serverPid), `server ${serverPid} left running`);
    });
  }
});
