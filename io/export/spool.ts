import type fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

  /**
   * Writes `file` with `fill`, then gives it its name; if `fill` throws, nothing is left.
   * `onBytes` hears the size every few megabytes (the activity's heartbeat).
   */
  static async produce<T>(file: string, fill: (spool: Spool) => Promise<T>, onBytes?: (bytes: number) => void): Promise<T> {
    const spool = await Spool.open(file);
    spool.onBytes = onBytes && everyFewMegabytes(onBytes);
    try {
      const result = await fill(spool);
      await spool.commit();
      return result;
    } catch (e) {
      await spool.abort();
      throw e;
    }
  }

  private onBytes?: (bytes: number) => void;

  /** Streams `source` into the file (a COPY TO, say), counting its bytes as `write` does. */
  async pipeFrom(source: Readable): Promise<void> {
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.counted(chunk.length);
        done(null, chunk);
      },
    });
    await pipeline(source, counter, this.out);
  }

  private counted(n: number): void {
    this.bytes += n;
    this.onBytes?.(this.bytes);
  }

  async write(s: string): Promise<void> {
    if (this.failed) throw this.failed;
    this.counted(Buffer.byteLength(s));
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

/** Passes a growing byte count on to `report` each time it has grown by 4 MiB. */
function everyFewMegabytes(report: (bytes: number) => void): (bytes: number) => void {
  let reported = 0;
  return (bytes) => {
    if (bytes - reported < 4 * 1024 * 1024) return;
    reported = bytes;
    report(bytes);
  };
}
