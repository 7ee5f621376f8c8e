import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withCacheLock } from './cacheLock';
import { goInstall, goVersion } from './goInstall';

/**
 * The real Temporal server (not the CLI's dev server) and its SQL schema tool, built once with
 * `go install` into the cache outside the clone, as infra/temporalCli.ts does for the CLI. The
 * version is the one docker-compose.yml runs (its images are tagged with it), so the schema and
 * server tested here are the deployed ones.
 */

type Log = (line: string) => void;

export const SERVER_MODULE = 'go.temporal.io/server';
/** The Temporal server version: `go install` tag here, image tag in docker-compose.yml. */
export const SERVER_VERSION = 'v1.29.1';
/** The SQL plugin and the schema folders in the module (in the admin-tools image: under /etc/temporal/). */
export const SQL_PLUGIN = 'postgres12';
export const SCHEMA_DIRS = {
  persistence: 'schema/postgresql/v12/temporal/versioned',
  visibility: 'schema/postgresql/v12/visibility/versioned',
} as const;

export interface ServerBinaries {
  /** `temporal-server`: `--root <dir> --config config --env <name> start`. */
  server: string;
  /** `temporal-sql-tool`. */
  sqlTool: string;
  /** The module's folder in Go's module cache, where schema/ lives. */
  moduleDir: string;
}

const buildDir = (cacheDir: string) => path.join(cacheDir, `temporal-server-${SERVER_VERSION}`);
// `go install` names each binary after its package's folder: cmd/server, cmd/tools/sql.
const binaries = (dir: string) => ({ server: path.join(dir, 'server'), sqlTool: path.join(dir, 'sql') });

function works(file: string, args: string[], expect: RegExp): boolean {
  const res = spawnSync(file, args, { encoding: 'utf8', timeout: 30_000 });
  return res.status === 0 && expect.test(res.stdout + res.stderr);
}

function cached(cacheDir: string): { server: string; sqlTool: string } | undefined {
  const b = binaries(buildDir(cacheDir));
  const version = SERVER_VERSION.slice(1).replace(/\./g, '\\.');
  return works(b.server, ['--version'], new RegExp(`version ${version}\\b`)) && works(b.sqlTool, ['--help'], /update-schema/) ? b : undefined;
}

/** The module's folder in GOMODCACHE (downloaded there by the build; fetched again if cleaned since). */
function moduleDir(): string {
  const modcache = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' });
  if (modcache.status !== 0) throw new Error(`Go is needed to find the Temporal schema (go env GOMODCACHE: ${modcache.stderr.trim()})`);
  const dir = path.join(modcache.stdout.trim(), `${SERVER_MODULE}@${SERVER_VERSION}`);
  if (fs.existsSync(path.join(dir, SCHEMA_DIRS.persistence))) return dir;
  const dl = spawnSync('go', ['mod', 'download', '-json', `${SERVER_MODULE}@${SERVER_VERSION}`], { encoding: 'utf8' });
  const found = dl.status === 0 ? (JSON.parse(dl.stdout) as { Dir?: string }).Dir : undefined;
  if (!found) throw new Error(`could not download ${SERVER_MODULE}@${SERVER_VERSION} for its schema: ${(dl.stdout + dl.stderr).trim()}`);
  return found;
}

/** The server and SQL tool from the cache, built first if missing (under a lock: a second caller waits). */
export async function findOrBuildServer(opts: { cacheDir: string; log?: Log }): Promise<ServerBinaries> {
  const log = opts.log ?? ((l) => console.error(l));
  const ready = cached(opts.cacheDir);
  if (ready) return { ...ready, moduleDir: moduleDir() };
  const built = await withCacheLock(path.join(opts.cacheDir, 'temporal-server.lock'), 'building the Temporal server', log, async () => {
    const installed = cached(opts.cacheDir);
    if (installed) return installed;
    const go = goVersion();
    if (!go) throw new Error('Go 1.25+ is needed to build the Temporal server (https://go.dev/dl/); or point TEMPORAL_ADDRESS at a cluster.');
    if (go[0] === 1 && go[1] < 25) throw new Error(`Go ${go.join('.')} is too old to build the Temporal server (1.25+ needed).`);
    const dir = buildDir(opts.cacheDir);
    const staging = `${dir}.building-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    log(`Building the Temporal server ${SERVER_VERSION} and its SQL tool with Go into ${dir} (first time only; progress below)...`);
    const packages = ['cmd/server', 'cmd/tools/sql'].map((p) => `${SERVER_MODULE}/${p}@${SERVER_VERSION}`);
    const failure = await goInstall(packages, staging, `Temporal server ${SERVER_VERSION}`, log);
    if (failure !== undefined) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new Error(`Building the Temporal server failed: ${failure.split(' | ').slice(-5).join(' | ')}`);
    }
    // Moved into place whole, so no one ever sees half a build.
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
    return binaries(dir);
  });
  return { ...built, moduleDir: moduleDir() };
}
