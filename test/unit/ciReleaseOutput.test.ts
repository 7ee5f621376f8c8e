import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * CI's exit trap (.ci/release-output.sh): a process a suite left behind holding CI's output is
 * stopped, so the reader is not kept waiting; the processes that started CI (CI's own
 * `timeout`, say), which share that output, are left alone. Killing the `timeout` that ran
 * .ci/run made a passing CI end with 137.
 */
describe("CI's exit trap", () => {
  const ROOT = path.resolve(__dirname, '../..');

  it('stops a process left holding the output, and not the timeout that started CI', () => {
    const left = 'sleep 313';
    const inner = `source .ci/release-output.sh; setsid ${left} & echo body done`;
    const res = spawnSync('bash', ['-c', `timeout -k 5 30 bash -c '${inner}' 2>&1 | cat; echo "rc=\${PIPESTATUS[0]}"`],
      { cwd: ROOT, encoding: 'utf8', timeout: 40_000 });
    const out = res.stdout + res.stderr;
    assert.match(out, /body done/);
    assert.match(out, /rc=0\n/, out);
    assert.match(out, new RegExp(`left running, holding CI's output: pid \\d+: ${left}`), out);
    assert.doesNotMatch(out, /left running.*timeout/, out);
    const still = spawnSync('pgrep', ['-f', `^${left}$`], { encoding: 'utf8' });
    assert.equal(still.stdout.trim(), '', `${left} still running`);
  });
});
