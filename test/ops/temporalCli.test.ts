import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../infra/ports';

/**
 * Where `npm start` gets the Temporal CLI when none is installed: the official release first
 * (a local server stands in for the release host), then a Go build (a fake `go` on PATH that
 * behaves like `go install`), under a lock, each step saying what it does. Runs
 * `npm run temporal:server -- --cli` as a user would, with a cache folder of its own.
 */

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const SCRIPT = path.join(ROOT, 'scripts/temporal-server.ts');

const FAKE_GO = `#!/bin/sh
echo "$*" >> "$FAKE_GO_LOG"
case "$1" in
  version) echo "go version go1.26.0 linux/amd64" ;;
  install)
    echo "go: downloading go.temporal.io/server v1.29.0" >&2
    for p in a b c; do echo "example.com/pkg/$p" >&2; sleep "\${FAKE_GO_SLEEP:-1}"; done
    if [ -n "$FAKE_GO_FAIL" ]; then echo "compile: $FAKE_GO_FAIL" >&2; exit 1; fi
    printf '#!/bin/sh\\necho "temporal version 1.5.1 (built)"\\n' > "$GOBIN/temporal"
    chmod +x "$GOBIN/temporal" ;;
esac
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('getting the Temporal CLI (download, then Go build)', function () {
  this.timeout(120_000);
  let dir: string;
  let cacheDir: string;
  let goLog: string;
  let env: NodeJS.ProcessEnv;
  let closedPort: number;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-cli-'));
    cacheDir = path.join(dir, 'cache');
    goLog = path.join(dir, 'go.log');
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'go'), FAKE_GO, { mode: 0o755 });
    closedPort = await freePort();
    // Only the fake go, node and the system's tools: no real Temporal CLI or Go.
    env = {
      HOME: dir, PATH: [bin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
      JOBFLOW_CACHE_DIR: cacheDir, FAKE_GO_LOG: goLog, TEMPORAL_DOWNLOAD_URL: `http://127.0.0.1:${closedPort}`,
    };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const getCli = (extra: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(TSX, [SCRIPT, '--cli'], { cwd: ROOT, env: { ...env, ...extra } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('close', (code) => resolve({ code, stdout: stdout.trim(), stderr }));
    });
  const goCalls = () => (fs.existsSync(goLog) ? fs.readFileSync(goLog, 'utf8').trim().split('\n') : []);
  const version = (file: string) => execFileSync(file, ['--version'], { encoding: 'utf8' }).trim();

  /** A stand-in for the release host: answers what to download, and serves a real tar.gz. */
  async function releaseHost(): Promise<{ url: string; queries: URLSearchParams[]; close(): void }> {
    const pkg = path.join(dir, 'pkg');
    fs.mkdirSync(pkg);
    fs.writeFileSync(path.join(pkg, 'temporal'), '#!/bin/sh\necho "temporal version 1.5.1 (downloaded)"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(pkg, 'LICENSE'), 'MIT\n');
    const archive = path.join(dir, 'temporal_cli.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', pkg, 'temporal', 'LICENSE']);
    const queries: URLSearchParams[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/cli/default') {
        queries.push(url.searchParams);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ archiveUrl: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/temporal_cli.tar.gz`, fileToExtract: 'temporal' }));
      } else if (url.pathname === '/temporal_cli.tar.gz') {
        res.end(fs.readFileSync(archive));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, queries, close: () => server.close() };
  }

  it('downloads the official release first, as the Temporal SDK does, and caches it', async () => {
    const host = await releaseHost();
    try {
      const first = await getCli({ TEMPORAL_DOWNLOAD_URL: host.url });
      assert.equal(first.code, 0, first.stderr);
      assert.ok(first.stdout.startsWith(cacheDir), first.stdout);
      assert.equal(version(first.stdout), 'temporal version 1.5.1 (downloaded)');
      assert.match(first.stderr, /Temporal CLI downloaded into .* in \d+ s\./);
      const query = host.queries[0]!;
      assert.equal(query.get('platform'), 'linux');
      assert.equal(query.get('arch'), process.arch === 'arm64' ? 'arm64' : 'amd64');
      assert.equal(query.get('format'), 'tar.gz');
      assert.equal(query.get('sdk-name'), 'sdk-typescript');
      assert.equal(query.get('sdk-version'), JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@temporalio/testing/package.json'), 'utf8')).version);
      assert.deepEqual(goCalls(), [], 'Go is not used when the download works');

      const second = await getCli({ TEMPORAL_DOWNLOAD_URL: host.url });
      assert.equal(second.stdout, first.stdout);
      assert.equal(host.queries.length, 1, 'the cached copy is used, not downloaded again');
    } finally {
      host.close();
    }
  });

  it('falls back to a Go build when the release host refuses, showing progress, and caches the build', async () => {
    const run = await getCli();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(version(run.stdout), 'temporal version 1.5.1 (built)');
    assert.match(run.stderr, /Downloading it failed: .*ECONNREFUSED.*Trying Go next\./);
    assert.match(run.stderr, /Building the Temporal CLI v1\.5\.1 with Go/);
    assert.match(run.stderr, /go: downloading go\.temporal\.io\/server/, "Go's module downloads are shown");
    assert.match(run.stderr, /Temporal CLI v1\.5\.1 built in \d+ s \(3 packages\)\./);
    const install = goCalls().filter((c) => c.startsWith('install'));
    assert.deepEqual(install, ['install -v -trimpath -ldflags=-s -w github.com/temporalio/cli/cmd/temporal@v1.5.1']);

    const again = await getCli();
    assert.equal(again.stdout, run.stdout);
    assert.equal(goCalls().filter((c) => c.startsWith('install')).length, 1, 'built once, then found in the cache');
  });

  it('gives up on a release host that does not answer within a few seconds', async () => {
    // Accepts connections and never answers, like a host behind a black-holing firewall.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const run = await getCli({ TEMPORAL_DOWNLOAD_URL: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, FAKE_GO_SLEEP: '0' });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /Downloading it failed: no answer within 5 s\./);
      assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
    } finally {
      silent.close();
    }
  });

  it('says what to do when neither the download nor the Go build works', async () => {
    const run = await getCli({ FAKE_GO_FAIL: 'out of memory', FAKE_GO_SLEEP: '0' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /No Temporal server or CLI found\. Downloading it failed: .*ECONNREFUSED/);
    assert.match(run.stderr, /building it with Go failed:\n\s+v1\.5\.1: .*compile: out of memory/);
    assert.match(run.stderr, /install Go 1\.25 or later/);
    assert.match(run.stderr, /TEMPORAL_CLI_PATH/);
    assert.match(run.stderr, /TEMPORAL_ADDRESS/);
    assert.equal(fs.readdirSync(cacheDir).filter((f) => f.startsWith('temporal-cli')).length, 0, 'nothing half-built left in the cache');
  });

  it('builds once when two starts need the CLI at the same time: the second waits for the first', async () => {
    const [a, b] = await Promise.all([getCli({ FAKE_GO_SLEEP: '2' }), getCli({ FAKE_GO_SLEEP: '2' })]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.equal(goCalls().filter((c) => c.startsWith('install')).length, 1, goCalls().join('\n'));
    assert.match(a.stderr + b.stderr, /Waiting for process \d+, which is getting the Temporal CLI/);
  });

  it('npm run temporal runs that CLI against the configured server, passing its arguments and exit code', () => {
    const fake = path.join(dir, 'temporal-fake');
    fs.writeFileSync(fake, '#!/bin/sh\n[ "$1" = --version ] && { echo "temporal version 1.5.1"; exit 0; }\necho "address=$TEMPORAL_ADDRESS namespace=$TEMPORAL_NAMESPACE args=$*"\nexit 3\n', { mode: 0o755 });
    const npmRun = (extra: NodeJS.ProcessEnv) =>
      spawnSync('npm', ['run', '--silent', 'temporal', '--', 'workflow', 'list', '--query', 'RunStatus = "halted"'], {
        cwd: ROOT, encoding: 'utf8', env: { ...env, TEMPORAL_CLI_PATH: fake, TEMPORAL_NAMESPACE: 'ns1', ...extra },
      });
    const local = npmRun({ TEMPORAL_PORT: '17233' });
    assert.equal(local.status, 3, local.stderr);
    assert.equal(local.stdout.trim(), 'address=127.0.0.1:17233 namespace=ns1 args=workflow list --query RunStatus = "halted"');
    const remote = npmRun({ TEMPORAL_ADDRESS: 'temporal.example:7233' });
    assert.match(remote.stdout, /^address=temporal\.example:7233 namespace=ns1 /);
  });

  it('takes over a lock left by a process that died', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    fs.mkdirSync(path.join(cacheDir, 'temporal-cli.lock'), { recursive: true });
    fs.writeFileSync(path.join(cacheDir, 'temporal-cli.lock', 'owner'), dead);
    const run = await getCli({ FAKE_GO_SLEEP: '0' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`Taking over .*temporal-cli\\.lock, left by process ${dead}, which is gone\\.`));
    assert.ok(!fs.existsSync(path.join(cacheDir, 'temporal-cli.lock')), 'the lock is released');
  });
});
