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

  // mocha --exit waits for an empty write to stdout and to stderr to complete before it exits;
  // a stderr that kept the chunk but never called back held every run with a handle left open
  // (a leaked connection after a failed test) after its summary, until CI's time ran out.
  it('ends a run with --exit though a test left a handle open', () => {
    const res = spawnSync(path.join(ROOT, 'node_modules/.bin/mocha'),
      ['--no-config', '--require', 'tsx/cjs', '--extension', 'ts', '--exit', '--file', 'test/setup/quietLogs.ts', 'test/fixtures/openHandle.fixture.ts'],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(res.signal, null, `still running after 30 s:\n${res.stdout}${res.stderr}`);
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /1 passing/);
  });

  it('prints everything as it comes with TEST_LOGS=show', () => {
    const { out } = run({ TEST_LOGS: 'show' });
    for (const line of ['EXPECTED-PINO-LINE', 'EXPECTED-CONSOLE-LINE', 'EXPECTED-SDK-LINE', 'CLUE-PINO-LINE']) assert.ok(out.includes(line), line);
  });
});
