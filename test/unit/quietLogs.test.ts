import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * A passing run reads as passing: log lines written while a test passes (ours, the Temporal
 * SDK's, console errors) are not printed; those of a failing test are, under it.
 */
describe('test output', () => {
  const ROOT = path.resolve(__dirname, '../..');
  const run = (env: NodeJS.ProcessEnv = {}) => {
    const res = spawnSync(path.join(ROOT, 'node_modules/.bin/mocha'),
      ['--no-config', '--require', 'tsx/cjs', '--extension', 'ts', '--file', 'test/setup/quietLogs.ts', 'test/fixtures/quietLogs.fixture.ts'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'info', ...env } });
    return { code: res.status, out: res.stdout + res.stderr };
  };

  it("prints a passing test's log lines nowhere, and a failing test's under it", () => {
    const { code, out } = run();
    assert.equal(code, 1, out);
    for (const line of ['EXPECTED-PINO-LINE', 'EXPECTED-CONSOLE-LINE', 'EXPECTED-SDK-LINE']) assert.ok(!out.includes(line), `${line} printed:\n${out}`);
    assert.match(out, /--- log lines while "a suite that logs fails, having logged" ran ---\n.*CLUE-PINO-LINE.*\n.*CLUE-SDK-LINE.*\n\s+--- end ---/);
    assert.match(out, /1 passing/);
    assert.match(out, /1 failing/);
  });

  it('prints everything as it comes with TEST_LOGS=show', () => {
    const { out } = run({ TEST_LOGS: 'show' });
    for (const line of ['EXPECTED-PINO-LINE', 'EXPECTED-CONSOLE-LINE', 'EXPECTED-SDK-LINE', 'CLUE-PINO-LINE']) assert.ok(out.includes(line), line);
  });
});
