import { spawn, spawnSync } from 'node:child_process';
import { environmentFor } from './config';

/** Building Go programs into our cache (the Temporal CLI, the Temporal server and its SQL tool). */

type Log = (line: string) => void;

const BUILD_REPORT_EVERY_MS = 10_000;

export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The installed Go's [major, minor], or undefined when there is none. */
export function goVersion(): [number, number] | undefined {
  const res = spawnSync('go', ['version'], { encoding: 'utf8' });
  const m = res.status === 0 ? /go(\d+)\.(\d+)/.exec(res.stdout) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * One `go install` of `packages` (each `path@version`) into `gobin`, with progress: Go's module
 * downloads as they happen, and a line every few seconds with the time so far and the packages
 * compiled (`-v`). No debug info, no local paths, and Go's own module and build caches (GOMODCACHE,
 * GOCACHE) are left where they are, so a second build, or a build after another Go project,
 * reuses them. Resolves to the last lines of output on failure, undefined on success.
 */
export function goInstall(packages: string[], gobin: string, what: string, log: Log): Promise<string | undefined> {
  const started = Date.now();
  const child = spawn('go', ['install', '-v', '-trimpath', '-ldflags=-s -w', ...packages], {
    env: environmentFor({ GOBIN: gobin, CGO_ENABLED: '0' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let compiled = 0;
  let lastPackage = '';
  const tail: string[] = [];
  let pending = '';
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (line.startsWith('go: downloading')) log(`  ${line}`);
      else if (/^[\w.-]+(\/[\w.@~-]+)*$/.test(line)) {
        compiled++;
        lastPackage = line;
      }
    }
  });
  const timer = setInterval(() => {
    log(`  ... ${formatElapsed(Date.now() - started)}, ${compiled} packages compiled${lastPackage ? ` (last: ${lastPackage})` : ''}`);
  }, BUILD_REPORT_EVERY_MS);
  return new Promise((resolve) => {
    child.once('error', (e) => resolve(String(e)));
    child.once('close', (code) => {
      clearInterval(timer);
      if (code === 0) log(`${what} built in ${formatElapsed(Date.now() - started)} (${compiled} packages).`);
      resolve(code === 0 ? undefined : [...tail, pending].join(' | ').trim());
    });
  });
}
