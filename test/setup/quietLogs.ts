import { DefaultLogger } from '@temporalio/worker';
import { setLogSink } from '../../infra/logger';

/**
 * A passing test prints only its name. While the tests run, log lines (ours, which go to
 * stdout, and everything written to stderr in this process: the Temporal SDK's loggers,
 * console warnings and errors, expected failures among them) are kept in memory; they are
 * printed under a test that fails, and dropped when it passes. TEST_LOGS=show prints them as
 * they come instead. The test reporter writes to stdout and is untouched.
 */

const MAX_CHUNKS = 5_000;
const kept: string[] = [];
const show = process.env.TEST_LOGS === 'show';
const writeToStderr = process.stderr.write.bind(process.stderr);

type WriteCallback = (err?: Error | null) => void;

/**
 * Keeps a chunk as a write would take it, callback included: mocha --exit waits for an empty
 * write's callback on stderr before it exits, so one never called back held the run open.
 */
function keep(chunk: string | Uint8Array, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
  kept.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  if (kept.length > MAX_CHUNKS) kept.shift();
  const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
  if (done) process.nextTick(done);
  return true;
}

/** The Temporal SDK's logger for tests: warnings and up (to stderr, so kept like the rest). */
export const sdkTestLogger = new DefaultLogger('WARN');

if (!show) {
  setLogSink({ write: keep });
  process.stderr.write = keep as typeof process.stderr.write;
}

// A root hook (this file is loaded before every suite: .mocharc.json).
afterEach(function () {
  const logs = kept.splice(0).join('');
  if (this.currentTest?.state !== 'failed' || !logs) return;
  writeToStderr(`\n      --- log lines while "${this.currentTest.fullTitle()}" ran ---\n${logs.endsWith('\n') ? logs : `${logs}\n`}      --- end ---\n`);
});
