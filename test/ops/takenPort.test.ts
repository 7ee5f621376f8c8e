import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from '../../infra/ports';
import { startDevServer } from '../../infra/temporalServer';

/**
 * A Temporal dev server orphaned by a crash still holds its port: the next start must not
 * talk to it as if it were its own. It stops and says which process holds the port.
 */
describe('a taken Temporal port', () => {
  let holder: ChildProcess;
  let port: number;
  let dir: string;
  before(async () => {
    port = await freePort();
    holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1')`, 'orphan-stand-in']);
    await waitForPort('127.0.0.1', port, 10_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-port-'));
  });
  after(() => {
    holder.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is refused with the process that holds it and what to do, and no server is started', async () => {
    const started = path.join(dir, 'started');
    const cli = path.join(dir, 'temporal');
    fs.writeFileSync(cli, `#!/bin/sh\ntouch ${started}\nsleep 30\n`, { mode: 0o755 });
    await assert.rejects(startDevServer({ cliPath: cli, port }), (e: Error) => {
      assert.match(e.message, new RegExp(`Port ${port} is already taken, by pid ${holder.pid}: .*orphan-stand-in`));
      assert.match(e.message, new RegExp(`TEMPORAL_ADDRESS=127\\.0\\.0\\.1:${port}`));
      return true;
    });
    assert.ok(!fs.existsSync(started), 'the CLI was not started');
  });

  it('is refused for Temporal Web too', async () => {
    const cli = path.join(dir, 'temporal');
    await assert.rejects(startDevServer({ cliPath: cli, port: await freePort(), uiPort: port }), new RegExp(`Port ${port} is already taken, by pid ${holder.pid}`));
  });
});
