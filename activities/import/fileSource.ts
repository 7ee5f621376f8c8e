import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { FAILED_TYPES } from '../../domain/failures';

/**
 * `file:` sources (PRODUCT.md, Sources): a file, or a directory whose files not ending in
 * `.imported` are processed oldest first, then renamed so they are never processed twice.
 * Only paths under the configured roots are allowed, after resolving `..` and symlinks.
 */

export const IMPORTED_SUFFIX = '.imported';

export class PathRefusedError extends Error {}

/** The real path of a `file:` URL or plain path, refused unless it lies under one of roots. */
export async function resolveAllowedPath(source: string, roots: readonly string[]): Promise<string> {
  let p: string;
  if (source.startsWith('file:')) {
    try {
      p = decodeURIComponent(new URL(source).pathname);
    } catch {
      throw new PathRefusedError(`"${source}" is not a valid file: URL`);
    }
  } else {
    p = source;
  }
  if (!path.isAbsolute(p)) throw new PathRefusedError(`"${source}" must be an absolute path (file:///...)`);
  const real = await realPathOf(p);
  for (const root of roots) {
    const realRoot = await fs.realpath(root).catch(() => path.resolve(root));
    if (real === realRoot || real.startsWith(realRoot + path.sep)) return real;
  }
  throw new PathRefusedError(`"${source}" is outside the allowed file roots`);
}

/**
 * The real path of p. A path that does not exist yet (an export's destination file) is
 * resolved through its nearest existing ancestor: falling back to the path as written let a
 * symlinked folder inside a root (`<root>/link -> /etc`) pass the check.
 */
async function realPathOf(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await fs.realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(await realPathOf(parent), path.basename(abs));
  }
}

/** The files a run reads from a source, oldest first; fails the run if the source cannot be read. */
export async function listSourceFiles(source: string, roots: readonly string[]): Promise<{ files: string[]; directory: boolean }> {
  let real: string;
  try {
    real = await resolveAllowedPath(source, roots);
  } catch (e) {
    throw ApplicationFailure.nonRetryable((e as Error).message, FAILED_TYPES.sourceUnavailable);
  }
  const stat = await fs.stat(real).catch(() => undefined);
  if (!stat) throw ApplicationFailure.nonRetryable(`The source ${source} does not exist.`, FAILED_TYPES.sourceUnavailable);
  if (!stat.isDirectory()) return { files: [real], directory: false };
  const names = (await fs.readdir(real)).filter((n) => !n.endsWith(IMPORTED_SUFFIX) && !n.startsWith('.'));
  const files: { file: string; mtime: number }[] = [];
  for (const name of names) {
    const file = path.join(real, name);
    const s = await fs.stat(file);
    if (!s.isFile()) continue;
    // A symlink in the directory that leads out of the roots refuses the run, naming it.
    const allowed = await resolveAllowedPath(file, roots).catch((e: Error) => {
      throw ApplicationFailure.nonRetryable(`${name} in ${source}: ${e.message}`, FAILED_TYPES.sourceUnavailable);
    });
    files.push({ file: allowed, mtime: s.mtimeMs });
  }
  const ordered = files.sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file)).map((f) => f.file);
  return { files: ordered, directory: true };
}

/** Marks a directory source's files as imported; a file already renamed is left alone. */
export async function markImported(files: readonly string[]): Promise<void> {
  for (const file of files) {
    await fs.rename(file, file + IMPORTED_SUFFIX).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
