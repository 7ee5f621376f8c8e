import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOrBuildServer, SCHEMA_DIRS, SERVER_VERSION } from '../../infra/temporalServerBuild';

/**
 * How `npm run temporal:cluster` gets the real Temporal server: built once with `go install`
 * into the cache (a fake `go` on PATH behaves like it), then found there; a failed build says
 * why. The schema comes from Go's module cache.
 */

const FAKE_GO = `#!/bin/sh
echo "$*" >> "$FAKE_GO_LOG"
case "$1" in
  version) echo "go version go1.26.0 linux/amd64" ;;
  env) echo "$FAKE_MODCACHE" ;;
  install)
    echo "go: downloading go.temporal.io/server ${SERVER_VERSION}" >&2
    for p in a b; do echo "example.com/pkg/$p" >&2; done
    if [ -n "$FAKE_GO_FAIL" ]; then echo "compile: $FAKE_GO_FAIL" >&2; exit 1; fi
    printf '#!/bin/sh\\necho "temporal version ${SERVER_VERSION.slice(1)}"\\n' > "$GOBIN/server"
    printf '#!/bin/sh\\necho "COMMANDS: setup-schema update-schema"\\n' > "$GOBIN/sql"
    chmod +x "$GOBIN/server" "$GOBIN/sql" ;;
esac
`;

describe('building the real Temporal server into the cache', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-serverbuild-'));
  const cacheDir = path.join(dir, 'cache');
  const goLog = path.join(dir, 'go.log');
  const modcache = path.join(dir, 'gomod');
  const saved = { PATH: process.env.PATH, FAKE_GO_LOG: process.env.FAKE_GO_LOG, FAKE_MODCACHE: process.env.FAKE_MODCACHE };
  before(() => {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin/go'), FAKE_GO, { mode: 0o755 });
    fs.mkdirSync(path.join(modcache, `go.temporal.io/server@${SERVER_VERSION}`, SCHEMA_DIRS.persistence), { recursive: true });
    Object.assign(process.env, { PATH: `${dir}/bin:${saved.PATH}`, FAKE_GO_LOG: goLog, FAKE_MODCACHE: modcache });
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    delete process.env.FAKE_GO_FAIL;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says why a failed build failed, and leaves nothing half built', async () => {
    process.env.FAKE_GO_FAIL = 'out of memory';
    await assert.rejects(findOrBuildServer({ cacheDir, log: () => undefined }), /Building the Temporal server failed: .*compile: out of memory/);
    delete process.env.FAKE_GO_FAIL;
    assert.deepEqual(fs.readdirSync(cacheDir), []);
  });

  it('builds the server and its SQL tool once, with progress, then finds them in the cache', async () => {
    fs.rmSync(goLog, { force: true });
    const lines: string[] = [];
    const built = await findOrBuildServer({ cacheDir, log: (l) => lines.push(l) });
    assert.equal(built.server, path.join(cacheDir, `temporal-server-${SERVER_VERSION}`, 'server'));
    assert.equal(built.sqlTool, path.join(cacheDir, `temporal-server-${SERVER_VERSION}`, 'sql'));
    assert.equal(built.moduleDir, path.join(modcache, `go.temporal.io/server@${SERVER_VERSION}`));
    assert.match(lines[0]!, /^Building the Temporal server v\d+\.\d+\.\d+ and its SQL tool with Go into /);
    assert.ok(lines.some((l) => l.includes('go: downloading go.temporal.io/server')), lines.join('\n'));
    assert.match(lines.at(-1)!, new RegExp(`^Temporal server ${SERVER_VERSION} built in \\d+ s \\(2 packages\\)\\.$`));
    const installs = () => fs.readFileSync(goLog, 'utf8').split('\n').filter((l) => l.startsWith('install'));
    assert.deepEqual(installs(), [
      `install -v -trimpath -ldflags=-s -w go.temporal.io/server/cmd/server@${SERVER_VERSION} go.temporal.io/server/cmd/tools/sql@${SERVER_VERSION}`,
    ]);
    const again: string[] = [];
    assert.deepEqual(await findOrBuildServer({ cacheDir, log: (l) => again.push(l) }), built);
    assert.deepEqual(again, [], 'a cached server is used silently');
    assert.equal(installs().length, 1, 'built once');
  });
});
