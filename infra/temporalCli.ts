import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withCacheLock } from './cacheLock';
import { formatElapsed, goInstall, goVersion } from './goInstall';
import type { Config } from './config';

/**
 * Finds the Temporal CLI (which runs the dev server), in the order the README documents:
 *   1. TEMPORAL_CLI_PATH: a CLI binary the user points at.
 *   2. `temporal` on PATH.
 *   3. A copy cached in <cacheDir> (downloaded or built before; outside the clone).
 *   4. The official release for this platform, downloaded into the cache the way the Temporal
 *      SDK's own test server does it (`@temporalio/testing`'s createLocal): ask
 *      <TEMPORAL_DOWNLOAD_URL>/cli/default for the archive this SDK version works best with.
 *   5. Build it into the cache with `go install github.com/temporalio/cli/cmd/temporal@<tag>`.
 * Steps 4 and 5 hold a lock in the cache, so a second process waits for the first one's work.
 */

/** Tags tried in order; later ones carry a `replace` directive that `go install` refuses. */
export const CLI_TAGS = ['v1.5.1', 'v1.5.0', 'v1.4.1'] as const;

/** The first answer from the download host must come this fast, or we move on to Go. */
const DOWNLOAD_INFO_TIMEOUT_MS = 5_000;
const DOWNLOAD_ARCHIVE_TIMEOUT_MS = 5 * 60_000;

export class TemporalUnavailableError extends Error {}

const HOW_TO_FIX = `Choose one of:
  - let the Temporal CLI be downloaded (https://temporal.download must be reachable; TEMPORAL_DOWNLOAD_URL names a mirror);
  - install Go 1.25 or later (https://go.dev/dl/) so the Temporal CLI can be built once into the cache;
  - install the Temporal CLI (https://docs.temporal.io/cli) and put it on PATH, or set TEMPORAL_CLI_PATH;
  - point TEMPORAL_ADDRESS at a running cluster, for example the one in docker-compose.yml (localhost:7233).`;

type Log = (line: string) => void;

export interface FindCliOptions {
  cliPath?: string;
  cacheDir: string;
  /** Base URL of the release service (TEMPORAL_DOWNLOAD_URL). */
  downloadUrl: string;
  /** PATH, where `temporal` is looked for. */
  searchPath: string;
  log?: Log;
}

/** The settings that say where the CLI comes from. */
export function cliSettings(config: Config): FindCliOptions {
  return { cliPath: config.TEMPORAL_CLI_PATH, cacheDir: config.cacheDir, downloadUrl: config.TEMPORAL_DOWNLOAD_URL, searchPath: config.searchPath };
}

const EXE = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

function runsAsCli(file: string): boolean {
  const res = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return res.status === 0 && /temporal version/i.test(res.stdout);
}

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The SDK version whose recommended CLI we download (the same one createLocal would). */
function sdkVersion(): string {
  return (JSON.parse(fs.readFileSync(require.resolve('@temporalio/testing/package.json'), 'utf8')) as { version: string }).version;
}

const downloadDir = (cacheDir: string) => path.join(cacheDir, `temporal-cli-download-sdk-typescript-${sdkVersion()}`);
const buildDir = (cacheDir: string, tag: string) => path.join(cacheDir, `temporal-cli-${tag}`);

function cachedCli(cacheDir: string): string | undefined {
  for (const dir of [downloadDir(cacheDir), ...CLI_TAGS.map((tag) => buildDir(cacheDir, tag))]) {
    const file = path.join(dir, EXE);
    if (fs.existsSync(file) && runsAsCli(file)) return file;
  }
  return undefined;
}

/** Moves a finished staging folder into place, so no one ever sees half a binary. */
function publish(staging: string, dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return path.join(dir, EXE);
}

/** Step 4: the official release; throws with the reason when it cannot be had. */
async function downloadCli(cacheDir: string, baseUrl: string, log: Log): Promise<string> {
  const platform = { win32: 'windows', darwin: 'darwin' }[process.platform as string] ?? 'linux';
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];
  if (!arch) throw new Error(`no release for the ${process.arch} architecture`);
  const format = platform === 'windows' ? 'zip' : 'tar.gz';
  const query = new URLSearchParams({ arch, platform, format, 'sdk-name': 'sdk-typescript', 'sdk-version': sdkVersion() });
  const infoUrl = `${baseUrl.replace(/\/+$/, '')}/cli/default?${query}`;
  const started = Date.now();
  log(`Downloading the Temporal CLI (${infoUrl}) ...`);
  const infoRes = await fetch(infoUrl, { signal: AbortSignal.timeout(DOWNLOAD_INFO_TIMEOUT_MS) });
  if (!infoRes.ok) throw new Error(`${infoUrl} answered ${infoRes.status}`);
  const info = (await infoRes.json()) as { archiveUrl?: unknown; fileToExtract?: unknown };
  const member = typeof info.fileToExtract === 'string' ? path.posix.normalize(info.fileToExtract) : '';
  if (typeof info.archiveUrl !== 'string' || !member || member.startsWith('..') || path.isAbsolute(member)) {
    throw new Error(`${infoUrl} did not name an archive and a file in it`);
  }
  const archiveRes = await fetch(info.archiveUrl, { signal: AbortSignal.timeout(DOWNLOAD_ARCHIVE_TIMEOUT_MS) });
  if (!archiveRes.ok) throw new Error(`${info.archiveUrl} answered ${archiveRes.status}`);
  const dir = downloadDir(cacheDir);
  const staging = `${dir}.downloading-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    const archive = path.join(staging, `cli.${format}`);
    fs.writeFileSync(archive, Buffer.from(await archiveRes.arrayBuffer()));
    // The system's tar reads .tar.gz everywhere and .zip on Windows (bsdtar).
    const res = spawnSync('tar', ['-xf', archive, '-C', staging, member], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`could not unpack ${info.archiveUrl}: ${(res.stderr || String(res.error)).trim()}`);
    fs.rmSync(archive);
    const extracted = path.join(staging, member);
    if (path.join(staging, EXE) !== extracted) fs.renameSync(extracted, path.join(staging, EXE));
    fs.chmodSync(path.join(staging, EXE), 0o755);
    if (!runsAsCli(path.join(staging, EXE))) throw new Error(`the file ${member} from ${info.archiveUrl} is not a working Temporal CLI`);
    const file = publish(staging, dir);
    log(`Temporal CLI downloaded into ${dir} in ${formatElapsed(Date.now() - started)}.`);
    return file;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Step 5: builds the CLI into the cache with Go; returns the binary's path. */
async function buildCli(cacheDir: string, log: Log): Promise<string> {
  const go = goVersion();
  if (!go) throw new Error('Go is not installed to build one');
  if (go[0] === 1 && go[1] < 25) throw new Error(`Go ${go.join('.')} is too old to build the Temporal CLI (1.25+ needed)`);
  const failures: string[] = [];
  for (const tag of CLI_TAGS) {
    const dir = buildDir(cacheDir, tag);
    const staging = `${dir}.building-${process.pid}`;
    fs.mkdirSync(staging, { recursive: true });
    log(`Building the Temporal CLI ${tag} with Go into ${dir} (first time only: 25 minutes on a busy 2-core machine; progress below)...`);
    const failure = await goInstall([`github.com/temporalio/cli/cmd/temporal@${tag}`], staging, `Temporal CLI ${tag}`, log);
    if (failure === undefined) return publish(staging, dir);
    fs.rmSync(staging, { recursive: true, force: true });
    failures.push(`${tag}: ${failure.split(' | ').slice(-3).join(' | ')}`);
  }
  throw new Error(`building it with Go failed:\n    ${failures.join('\n    ')}`);
}

/** The path of a Temporal CLI binary: found, downloaded or built (steps 1 to 5 above). */
export async function findOrInstallCli(opts: FindCliOptions): Promise<string> {
  const log = opts.log ?? ((l) => console.error(l));
  if (opts.cliPath) {
    if (!runsAsCli(opts.cliPath)) throw new TemporalUnavailableError(`TEMPORAL_CLI_PATH=${opts.cliPath} is not a working Temporal CLI.\n${HOW_TO_FIX}`);
    return opts.cliPath;
  }
  const fromPath = onPath(EXE, opts.searchPath);
  if (fromPath && runsAsCli(fromPath)) return fromPath;
  const cached = cachedCli(opts.cacheDir);
  if (cached) return cached;
  return withCacheLock(path.join(opts.cacheDir, 'temporal-cli.lock'), 'getting the Temporal CLI', log, async () => {
    // The process we waited for may have installed it.
    const installed = cachedCli(opts.cacheDir);
    if (installed) return installed;
    const reasons: string[] = [];
    try {
      return await downloadCli(opts.cacheDir, opts.downloadUrl, log);
    } catch (e) {
      const reason = e instanceof Error && e.name === 'TimeoutError' ? `no answer within ${DOWNLOAD_INFO_TIMEOUT_MS / 1000} s` : causeOf(e);
      reasons.push(`Downloading it failed: ${reason}.`);
      log(`${reasons[0]} Trying Go next.`);
    }
    try {
      return await buildCli(opts.cacheDir, log);
    } catch (e) {
      reasons.push(`And ${causeOf(e)}.`);
    }
    throw new TemporalUnavailableError(`No Temporal server or CLI found. ${reasons.join(' ')}\n${HOW_TO_FIX}`);
  });
}

/** fetch() hides the network error (refused, unknown host) in `cause`. */
function causeOf(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return [err.message, err.cause?.code ?? err.cause?.message].filter(Boolean).join(': ');
}

