import type { Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TaskType } from '../../taskTypes/taskType';

/**
 * A run's staging table: an unlogged table in the `staging` schema holding the run's
 * valid rows until the load moves them into the target in one transaction. Row data
 * never travels through workflows; the run's id is the reference.
 */

export const stagingTable = (runId: string) => `staging.run_${runId}`;

export async function createStaging(db: pg.ClientBase, runId: string, taskType: TaskType): Promise<void> {
  const cols = taskType.fields.map((f) => `${f.column} ${f.sqlType ?? 'text'}`).join(', ');
  await db.query(`drop table if exists ${stagingTable(runId)}`);
  await db.query(
    `create unlogged table ${stagingTable(runId)} (file_index integer not null, line integer not null, ${cols},
       warnings text[] not null default '{}', action text not null default 'upsert')`,
  );
}

export async function dropStaging(db: pg.ClientBase | pg.Pool, runId: string): Promise<void> {
  await db.query(`drop table if exists ${stagingTable(runId)}`);
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

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
 */
export class CopyWriter {
  private readonly buffer: string[] = [];
  private bufferedBytes = 0;
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
    const line = values.map(copyValue).join('\t') + '\n';
    this.buffer.push(line);
    this.bufferedBytes += line.length;
    if (this.bufferedBytes >= 256 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.buffer.length) return;
    const chunk = this.buffer.join('');
    this.buffer.length = 0;
    this.bufferedBytes = 0;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        this.stream.once('drain', resolve);
        this.stream.once('error', reject);
      });
    }
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await this.done;
  }
}
