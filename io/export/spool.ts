import type fs from 'node:fs';
import path from 'node:path';
import { createTempFile, removeFile, renameInFolder, type TempFile } from '../safeFiles';

/**
 * An export's spool file in the private work folder, written through an exclusive temporary
 * file (io/safeFiles.ts) with back-pressure: the final name appears only on commit, and
 * abort leaves nothing behind.
 */
export class Spool {
  private failed?: Error;
  bytes = 0;

  private constructor(private readonly file: string, private readonly temp: TempFile, readonly out: fs.WriteStream) {
    this.out.on('error', (e) => (this.failed ??= e));
  }

  static async open(file: string): Promise<Spool> {
    const temp = await createTempFile(path.dirname(file), path.basename(file));
    return new Spool(file, temp, temp.handle.createWriteStream({ highWaterMark: 1024 * 1024 }));
  }

  async write(s: string): Promise<void> {
    if (this.failed) throw this.failed;
    this.bytes += Buffer.byteLength(s);
    if (!this.out.write(s)) {
      await new Promise<void>((resolve, reject) => {
        this.out.once('drain', resolve);
        this.out.once('error', reject);
      });
    }
  }

  /** Ends the file (when written through `out` by a pipeline, it has ended already) and gives it its name. */
  async commit(): Promise<void> {
    if (!this.out.writableFinished) await new Promise<void>((resolve, reject) => this.out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (this.failed) throw this.failed;
    await renameInFolder(this.temp.path, path.basename(this.file));
  }

  async abort(): Promise<void> {
    this.out.destroy();
    await removeFile(this.temp.path);
  }
}
