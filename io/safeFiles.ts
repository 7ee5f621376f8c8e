import crypto from 'node:crypto';
import os from 'node:os';
import { constants as C, type Stats } from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

/**
 * The one door to the file system for data (issue 12): every import source, directory
 * listing, sample, export destination, temporary file, `.imported` rename and spool file is
 * opened, listed, created or renamed here. No Temporal in here: progress and cancellation
 * come in as a callback and an AbortSignal.
 *
 * - A domain's files live in its area: `<root>/<domain>/` of each allowed root, plus any
 *   folders FILE_AREAS grants it. A path is checked after resolving `..` and symlinks, and
 *   the file actually opened is checked again (its /proc/self/fd link), so a link swapped in
 *   between the check and the open does not reach outside.
 * - Sources are regular files only, found out without blocking: the open is O_NONBLOCK (a
 *   FIFO with no writer does not hold a thread) and fstat decides before any read.
 * - Reads fail when no byte arrives for a bounded time, and stop at once on abort.
 * - Files are created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) under unpredictable names,
 *   0600, then renamed in their own folder; folders are made 0700.
 */

/** A path outside the domain's area (after resolving links): the job must be changed. */
export class OutsideAreaError extends Error {}
/** A FIFO, device, socket or folder where a regular file is needed. */
export class NotRegularFileError extends Error {}
/** A read that made no progress for the stall timeout. */
export class ReadStalledError extends Error {}

/** Where one domain's files may be: each folder and what it holds. */
export interface FileArea {
  domain: string;
  folders: readonly string[];
}

/** What a domain identifier may be (api/http/schemas.ts `identifier`): a safe single path segment. */
const AREA_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The domain's area: `<root>/<domain>` of each root, then the folders granted to it by name. */
export function fileAreaOf(domain: string, roots: readonly string[], grants: Readonly<Record<string, readonly string[]>> = {}): FileArea {
  if (!AREA_NAME.test(domain)) throw new OutsideAreaError(`"${domain}" cannot name a file area`);
  return { domain, folders: [...roots.map((r) => path.join(path.resolve(r), domain)), ...(grants[domain] ?? []).map((f) => path.resolve(f))] };
}

/** The area's folders as a sentence part: "/srv/files/acme/ or /data/acme/". */
export const describeArea = (area: FileArea): string => area.folders.map((f) => `${f}${path.sep}`).join(' or ');

/** The absolute path a `file:` URL (or a plain absolute path) names. */
export function pathOfSource(source: string): string {
  let p = source;
  if (/^file:/i.test(source)) {
    try {
      p = decodeURIComponent(new URL(source).pathname);
    } catch {
      throw new OutsideAreaError(`"${source}" is not a valid file: URL`);
    }
  }
  if (p.includes('\0')) throw new OutsideAreaError(`"${source.replaceAll('\0', '\\0')}" holds a NUL byte`);
  if (!path.isAbsolute(p)) throw new OutsideAreaError(`"${source}" must be an absolute path (file:///...)`);
  return path.resolve(p);
}

/**
 * The real path p would have: an existing path is fully resolved; one that does not exist
 * yet (an export's file) is resolved through its nearest existing ancestor, so a symlinked
 * folder on the way cannot pass for a plain one.
 */
async function realPathOf(p: string): Promise<string> {
  try {
    return await fsp.realpath(p);
  } catch {
    const parent = path.dirname(p);
    return parent === p ? p : path.join(await realPathOf(parent), path.basename(p));
  }
}

/**
 * The real prefixes of the area. A folder's own name is not resolved: `<root>/acme` being a
 * link to `<root>/beta` must not give acme beta's files (every file would resolve to beta's).
 */
async function realFolders(area: FileArea): Promise<string[]> {
  return Promise.all(area.folders.map(async (f) => path.join(await realPathOf(path.dirname(f)), path.basename(f))));
}

const within = (real: string, folders: readonly string[]) => folders.some((f) => real === f || real.startsWith(f + path.sep));

function outside(what: string, area: FileArea): OutsideAreaError {
  return new OutsideAreaError(`${what} is outside the file area of domain ${area.domain}: its files must be under ${describeArea(area)}`);
}

/** The real path of p, refused unless it lies in the area. */
export async function resolveInArea(p: string, area: FileArea): Promise<string> {
  const real = await realPathOf(path.resolve(p));
  if (!within(real, await realFolders(area))) throw outside(p, area);
  return real;
}

/**
 * Where a file: destination writes: the real folder (in the area) and the file name, or no
 * name when the URL names a folder (ends in `/`, or is an existing folder). The last part of
 * the path is not followed: a link planted at the file's name is replaced, never written through.
 */
export async function resolveTargetInArea(url: string, area: FileArea): Promise<{ dir: string; name?: string }> {
  const p = pathOfSource(url);
  if (/\/$/.test(new URL(url).pathname)) return { dir: await resolveInArea(p, area) };
  const dir = await resolveInArea(path.dirname(p), area);
  const name = path.basename(p);
  const st = await fsp.lstat(path.join(dir, name)).catch(() => undefined);
  return st?.isDirectory() ? { dir: path.join(dir, name) } : { dir, name };
}

/** The real path of a `file:` URL, refused unless it lies in the area. */
export const resolveSourceInArea = (source: string, area: FileArea): Promise<string> => resolveInArea(pathOfSource(source), area);

/** The path of an open descriptor, as the kernel knows it (Linux); undefined elsewhere. */
async function pathOfDescriptor(fh: FileHandle): Promise<string | undefined> {
  return fsp.readlink(`/proc/self/fd/${fh.fd}`).catch(() => undefined);
}

/** Refuses the opened file unless it is what was checked: in the area, same inode. */
async function checkOpened(fh: FileHandle, checked: Stats | undefined, what: string, area: FileArea): Promise<Stats> {
  const st = await fh.stat();
  const opened = await pathOfDescriptor(fh);
  if (opened !== undefined && !within(opened, await realFolders(area))) throw outside(what, area);
  if (checked && (st.dev !== checked.dev || st.ino !== checked.ino)) throw outside(`${what} (changed while it was opened)`, area);
  return st;
}

export function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const notRegular = (what: string, st: Stats) => new NotRegularFileError(`${what} is ${kindOf(st)}, not a regular file; only regular files are read`);

/** A file's kind and times, links resolved, refused outside the area (undefined: it does not exist). */
export async function statInArea(p: string, area: FileArea): Promise<{ real: string; stat: Stats } | undefined> {
  const real = await resolveInArea(p, area);
  const stat = await fsp.lstat(real).catch(() => undefined);
  return stat && { real, stat };
}

/**
 * Opens a regular file of the area for reading. Checked by name first (a device is never
 * opened: opening one can have effects), then the opened descriptor itself (O_NONBLOCK, so
 * a FIFO swapped in does not block; O_NOFOLLOW, so a link swapped in is not followed).
 */
export async function openRegularFile(p: string, area: FileArea): Promise<FileHandle> {
  const what = path.basename(p);
  const found = await statInArea(p, area);
  if (!found) throw Object.assign(new Error(`${p} does not exist`), { code: 'ENOENT' });
  if (!found.stat.isFile()) throw notRegular(what, found.stat);
  const fh = await fsp.open(found.real, C.O_RDONLY | C.O_NONBLOCK | C.O_NOFOLLOW | C.O_NOCTTY);
  try {
    const st = await checkOpened(fh, found.stat, what, area);
    if (!st.isFile()) throw notRegular(what, st);
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export interface ReadOptions {
  area: FileArea;
  /** A read with no byte for this long fails with ReadStalledError (default FILE_READ_STALL_TIMEOUT's default). */
  stallMs?: number;
  /** Aborting stops the read at once (the pending read is abandoned). */
  signal?: AbortSignal;
  /** Total bytes read so far, after every chunk. */
  onBytes?: (total: number) => void;
  chunkBytes?: number;
}

export const DEFAULT_STALL_MS = 60_000;

/** One read, failed when it takes longer than stallMs or the signal aborts. */
function boundedRead<T>(read: Promise<T>, name: string, stallMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason ?? 'aborted'))));
    const timer = setTimeout(
      () => finish(() => reject(new ReadStalledError(`Reading ${name} made no progress for ${Math.round(stallMs / 1000)} s; the file system holding it does not answer`))),
      stallMs,
    );
    const finish = (then: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      then();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    read.then((v) => finish(() => resolve(v)), (e: unknown) => finish(() => reject(e)));
  });
}

/** A handle's bytes, chunk by chunk, with the stall bound, the abort and the progress count. */
export async function* readChunks(fh: Pick<FileHandle, 'read'>, name: string, opts: Omit<ReadOptions, 'area'> = {}): AsyncGenerator<Buffer> {
  const size = opts.chunkBytes ?? 64 * 1024;
  const stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
  let total = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await boundedRead(fh.read(buf, 0, size, total), name, stallMs, opts.signal);
    if (bytesRead === 0) return;
    total += bytesRead;
    opts.onBytes?.(total);
    yield bytesRead === size ? buf : buf.subarray(0, bytesRead);
  }
}

/**
 * Closes a handle. After a stalled or aborted read the close is not awaited: it would wait
 * for the abandoned read, and the failure must be reported now.
 */
async function closeHandle(fh: FileHandle, abandoned: boolean): Promise<void> {
  const closing = fh.close().catch(() => undefined);
  if (!abandoned) await closing;
}

/** A regular file of the area as a byte stream (opened on first read; closed at its end or on destroy). */
export function openReadStream(p: string, opts: ReadOptions): Readable {
  async function* chunks() {
    const fh = await openRegularFile(p, opts.area);
    let abandoned = false;
    try {
      yield* readChunks(fh, path.basename(p), opts);
    } catch (e) {
      abandoned = true;
      throw e;
    } finally {
      await closeHandle(fh, abandoned);
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: opts.chunkBytes ?? 64 * 1024 });
}

/** Up to `max` bytes from the start of a regular file of the area, and whether that is all of it. */
export async function readHead(p: string, max: number, opts: ReadOptions): Promise<{ bytes: Buffer; complete: boolean }> {
  const fh = await openRegularFile(p, opts.area);
  let abandoned = false;
  try {
    const parts: Buffer[] = [];
    let n = 0;
    for await (const chunk of readChunks(fh, path.basename(p), { ...opts, chunkBytes: Math.min(max + 1, opts.chunkBytes ?? 64 * 1024) })) {
      parts.push(chunk);
      n += chunk.length;
      if (n > max) break;
    }
    const all = Buffer.concat(parts);
    return { bytes: all.subarray(0, max), complete: all.length <= max };
  } catch (e) {
    abandoned = true;
    throw e;
  } finally {
    await closeHandle(fh, abandoned);
  }
}

export interface ListedFile {
  name: string;
  /** Real path (a link in the folder is resolved, and must stay in the area). */
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * The regular files of a folder of the area (other kinds are skipped). A link that leads out
 * of the area refuses the whole listing, naming it: the folder is not what the job thinks.
 */
export async function listRegularFiles(dir: string, area: FileArea): Promise<ListedFile[]> {
  const real = await resolveInArea(dir, area);
  const out: ListedFile[] = [];
  for (const entry of await fsp.readdir(real, { withFileTypes: true })) {
    const p = path.join(real, entry.name);
    // Every entry is resolved, links or not: a folder swapped for a link while it is read
    // cannot pass another area's files off as this one's.
    const target = await resolveInArea(p, area).catch(async (e: unknown) => {
      const to = entry.isSymbolicLink() ? ` (a link to ${await fsp.readlink(p).catch(() => '?')})` : '';
      throw e instanceof OutsideAreaError ? outside(`${entry.name} in ${dir}${to}`, area) : e;
    });
    const st = await fsp.lstat(target).catch(() => undefined);
    if (st?.isFile()) out.push({ name: entry.name, path: target, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

/** A new private (0700) folder under the system's temp folder, with an unpredictable name. */
export function makeTempFolder(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Removes a folder this module made, with what it holds. */
export async function removeFolder(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
}

/** Makes a folder (and its missing parents) 0700. */
export async function makePrivateFolder(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * A work folder only the service user can enter: made 0700 when missing; an existing one
 * must be a real folder owned by us (not a link), and is made 0700 if others could enter it.
 */
export async function ensurePrivateFolder(dir: string): Promise<string> {
  await makePrivateFolder(dir);
  const st = await fsp.lstat(dir);
  if (!st.isDirectory()) throw new Error(`The work folder ${dir} is ${kindOf(st)}, not a folder; remove it or choose another (EXPORT_WORK_DIR)`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`The work folder ${dir} belongs to another user (uid ${st.uid}); remove it or choose another (EXPORT_WORK_DIR)`);
  if (st.mode & 0o077) await fsp.chmod(dir, 0o700);
  return dir;
}

/** A new file, 0600, created exclusively under an unpredictable dot name in `dir`, never through a link. */
export interface TempFile {
  path: string;
  handle: FileHandle;
}

export async function createTempFile(dir: string, base: string, area?: FileArea): Promise<TempFile> {
  const folder = area ? await resolveInArea(dir, area) : dir;
  const name = `.${base}.${crypto.randomBytes(12).toString('base64url')}.part`;
  const p = path.join(folder, name);
  const handle = await fsp.open(p, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW | C.O_NOCTTY, 0o600);
  try {
    if (area) await checkOpened(handle, undefined, name, area);
  } catch (e) {
    await handle.close();
    await fsp.rm(p, { force: true });
    throw e;
  }
  return { path: p, handle };
}

/**
 * Renames a file to `name` in its own folder, atomically. A link already at the name is
 * replaced (rename never follows it), so the result is the regular file we wrote.
 */
export async function renameInFolder(from: string, name: string): Promise<string> {
  if (name !== path.basename(name) || name === '.' || name === '..' || name.includes('\0')) throw new Error(`"${name}" is not a file name`);
  const to = path.join(path.dirname(from), name);
  await fsp.rename(from, to);
  return to;
}

/** Removes a file this module created (a temp file after a failure); a missing one is fine. */
export async function removeFile(p: string): Promise<void> {
  await fsp.rm(p, { force: true });
}

/**
 * Renames a source file of the area to `<name><suffix>` next to it; a file already gone is
 * left alone. The file itself must be in the area, and a link is not followed.
 */
export async function renameSourceFile(p: string, suffix: string, area: FileArea): Promise<void> {
  const real = await resolveInArea(p, area);
  await fsp.rename(real, real + suffix).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** Writes a stream of bytes into a new private file at `final` (a temp file, then a rename). */
export async function writePrivateFile(final: string, write: (handle: FileHandle) => Promise<void>, area?: FileArea): Promise<void> {
  const temp = await createTempFile(path.dirname(final), path.basename(final), area);
  try {
    try {
      await write(temp.handle);
      await temp.handle.sync();
    } finally {
      await temp.handle.close();
    }
    await renameInFolder(temp.path, path.basename(final));
  } catch (e) {
    await removeFile(temp.path);
    throw e;
  }
}
