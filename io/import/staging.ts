import type { Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TaskType } from '../../taskTypes/taskType';

/**
 * A run's staging table: an unlogged table in the `staging` schema holding the run's
 * valid rows until the load moves them into the target in one transaction. Row data
 * never travels through workflows; the run's id is the reference. `maybe_dup` is false
 * for a row whose key validation knows was not staged before (see keyFilter.ts).
 */

export const stagingTable = (runId: string) => `staging.run_${runId}`;

export async function createStaging(db: pg.ClientBase, runId: string, taskType: TaskType): Promise<void> {
  const cols = taskType.fields.map((f) => `${f.column} ${f.sqlType ?? 'text'}`).join(', ');
  await db.query(`drop table if exists ${stagingTable(runId)}`);
  await db.query(
    `create unlogged table ${stagingTable(runId)} (file_index integer not null, line integer not null, ${cols},
       warnings text[] not null default '{}', action text not null default 'upsert',
       maybe_dup boolean not null default true)`,
  );
}

/**
 * A staging table from before `maybe_dup` (a run resumed across an upgrade) gets it, true for
 * every row: each is a duplicate candidate, as when the key filter is not known.
 */
export async function upgradeStaging(db: pg.ClientBase, runId: string): Promise<void> {
  await db.query(`alter table ${stagingTable(runId)} add column if not exists maybe_dup boolean not null default true`);
}

export async function dropStaging(db: pg.ClientBase | pg.Pool, runId: string): Promise<void> {
  await db.query(`drop table if exists ${stagingTable(runId)}`);
}

/** Bytes buffered before a write to the COPY stream, in chunks of CHUNK_BYTES. */
const FLUSH_BYTES = 64 * 1024;
const CHUNK_BYTES = 80 * 1024;

export const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** Escapes one value for COPY's text format. */
export function copyValue(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  // Most values need no escaping: testing first skips the replace's allocation.
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export const copyArray = (items: string[]): string => (items.length ? `{${items.map((i) => `"${i}"`).join(',')}}` : '{}');

/**
 * A COPY ... FROM STDIN into `table` that takes lines of tab-separated values, with
 * back-pressure, through `write`. `end` waits for the server to have every row.
 *
 * Lines are encoded into a byte buffer as they come, so a line's string dies young: held
 * as strings until a flush, ~500 rows' lines (and the field strings they are made of)
 * outlived V8's young generation and were promoted, garbage that grew the old one.
 */
export class CopyWriter {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  /** Full chunks (or one oversized line) waiting for the next flush. */
  private readonly ready: Buffer[] = [];
  private readyBytes = 0;
  private readonly stream: Writable;
  private readonly done: Promise<void>;

  constructor(db: pg.ClientBase, table: string, columns: string[]) {
    this.stream = db.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
    const sink = this.stream;
    this.done = new Promise((resolve, reject) => {
      sink.on('finish', resolve);
      sink.on('error', reject);
    });
    this.done.catch(() => undefined);
  }

  async write(values: (string | number | null | undefined)[]): Promise<void> {
    if (this.push(values.map(copyValue).join('\t') + '\n')) await this.flush();
  }

  /**
   * Buffers one line already in COPY text form (ending in \n), without waiting: true when
   * enough is buffered that the caller should `await flush()` (the hot loop's form of write).
   */
  push(line: string): boolean {
    // A UTF-16 code unit is at most 3 bytes of UTF-8: a line that may not fit starts a new chunk.
    if (this.used + line.length * 3 > this.chunk.length) {
      if (this.used) this.seal();
      if (line.length * 3 > this.chunk.length) {
        const bytes = Buffer.from(line, 'utf8');
        this.ready.push(bytes);
        this.readyBytes += bytes.length;
        return true;
      }
    }
    this.used += this.chunk.write(line, this.used, 'utf8');
    return this.used + this.readyBytes >= FLUSH_BYTES;
  }

  private seal(): void {
    this.ready.push(this.chunk.subarray(0, this.used));
    this.readyBytes += this.used;
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  /** Sends what is buffered, waiting while the connection is backed up. */
  async flush(): Promise<void> {
    if (this.used) this.seal();
    if (!this.ready.length) return;
    let more = true;
    for (const b of this.ready) more = this.stream.write(b);
    this.ready.length = 0;
    this.readyBytes = 0;
    if (!more) {
      const sink = this.stream;
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          sink.off('error', onError);
          resolve();
        };
        const onError = (e: Error) => {
          sink.off('drain', onDrain);
          reject(e);
        };
        sink.once('drain', onDrain);
        sink.once('error', onError);
      });
    }
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await this.done;
  }
}
