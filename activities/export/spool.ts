import fs from 'node:fs';
import fsp from 'node:fs/promises';

/**
 * An export's spool file, written through `<file>.part` with back-pressure: the final name
 * appears only on commit, and abort leaves nothing behind.
 */
export class Spool {
  private readonly part: string;
  private readonly out: fs.WriteStream;
  private failed?: Error;
  bytes = 0;

  constructor(private readonly file: string) {
    this.part = `${file}.part`;
    this.out = fs.createWriteStream(this.part, { highWaterMark: 1024 * 1024 });
    this.out.on('error', (e) => (this.failed ??= e));
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

  async commit(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (this.failed) throw this.failed;
    await fsp.rename(this.part, this.file);
  }

  async abort(): Promise<void> {
    this.out.destroy();
    await fsp.rm(this.part, { force: true });
  }
}
