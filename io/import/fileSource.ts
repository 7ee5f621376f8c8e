import { FAILED_TYPES, HALTED_TYPES } from '../../domain/failures';
import { jobFailure } from '../jobFailure';
import { NotRegularFileError, OutsideAreaError, ReadStalledError, listRegularFiles, renameSourceFile, statInArea, pathOfSource, kindOf, type FileArea } from '../safeFiles';

/**
 * `file:` sources (PRODUCT.md, Sources): a file, or a directory whose files not ending in
 * `.imported` are processed oldest first, then renamed so they are never processed twice.
 * Only paths in the domain's file area are allowed (io/safeFiles.ts), links resolved.
 */

export const IMPORTED_SUFFIX = '.imported';

/** A file a run reads, with the size and time it had when listed (a resumed run checks them). */
export interface SourceFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** A refusal of the safe file module as the activity failure it means for the run. */
export function fileFailure(e: unknown, where?: string): unknown {
  const say = (m: string) => (where ? `${where}: ${m}` : m);
  if (e instanceof OutsideAreaError) {
    return jobFailure(say(`${e.message}. Move the files into the domain's area and change the job (README, File areas).`), HALTED_TYPES.outsideFileArea);
  }
  if (e instanceof NotRegularFileError) return jobFailure(say(e.message), HALTED_TYPES.notRegularFile);
  if (e instanceof ReadStalledError) return jobFailure(say(e.message), FAILED_TYPES.readStalled);
  return e;
}

/** The files a run reads from a source, oldest first; fails the run if the source cannot be read. */
export async function listSourceFiles(source: string, area: FileArea): Promise<{ files: SourceFile[]; directory: boolean }> {
  try {
    const found = await statInArea(pathOfSource(source), area);
    if (!found) throw jobFailure(`The source ${source} does not exist.`, FAILED_TYPES.sourceUnavailable);
    if (found.stat.isFile()) return { files: [{ path: found.real, size: found.stat.size, mtimeMs: found.stat.mtimeMs }], directory: false };
    if (!found.stat.isDirectory()) throw new NotRegularFileError(`The source ${source} is ${kindOf(found.stat)}, not a regular file or a folder`);
    const files = (await listRegularFiles(found.real, area)).filter((f) => !f.name.endsWith(IMPORTED_SUFFIX) && !f.name.startsWith('.'));
    files.sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
    return { files: files.map(({ path, size, mtimeMs }) => ({ path, size, mtimeMs })), directory: true };
  } catch (e) {
    throw fileFailure(e);
  }
}

/** Marks a directory source's files as imported; a file already renamed is left alone. */
export async function markImported(files: readonly string[], area: FileArea): Promise<void> {
  for (const file of files) await renameSourceFile(file, IMPORTED_SUFFIX, area).catch((e: unknown) => {
    throw fileFailure(e);
  });
}
