import path from 'node:path';
import type pg from 'pg';
import { HALTED_TYPES } from '../../domain/failures';
import { statInArea, type FileArea, type ReadOptions } from '../safeFiles';
import type { ImportRules } from '../../taskTypes/importRules';
import { parseWithSchema, type TaskType } from '../../taskTypes/taskType';
import { fileFailure, type SourceFile } from './fileSource';
import { JobFailure } from '../jobFailure';
import { withTicks } from '../ticker';
import { readRecordBatches } from './records';
import { HeapBound } from './heapBound';
import { KeyFilter } from './keyFilter';
import { CopyWriter, NEEDS_ESCAPE, copyArray, copyValue, createStaging, stagingTable, upgradeStaging } from './staging';
import { guardClient } from '../../db/transaction';
import type { ReadMarks } from '../../domain/importProgress';

/**
 * Validating: streams every file of a run into its staging table, rows that break a rule
 * into rejected_rows. It commits a chunk at a time and heartbeats the last committed
 * position, so a retry after a crash resumes after the last chunk instead of starting over.
 */

/** Rejected text per committed chunk is bounded, besides its rows (IMPORT_CHUNK_ROWS, stageRun's `rowsPerChunk`). */
const CHUNK_REJECT_CHARS = 8 * 1024 * 1024;

/**
 * What the last committed chunk covered, kept in the run's row (`stage_checkpoint`) in the
 * chunk's own transaction: a retry resumes from it. Heartbeat details carry it too, for
 * Temporal Web, but are throttled and can trail the database, so they are not resumed from.
 */
export interface Checkpoint extends ReadMarks {
  runId: string;
  directory: boolean;
  /** The file being read, and the last line of it committed (0: none yet). */
  fileIndex: number;
  line: number;
  read: number;
  rejected: number;
  warningsByKind: Record<string, number>;
  /**
   * What validation saw, for processing to skip what cannot change anything (absent in a
   * checkpoint from before they were kept: processing then runs every step): rows staged with
   * maybe_dup true, and for each of the task type's processSql rules whether any staged row
   * may be one it touches (ProcessRule.mayTouch; true for a rule without it).
   */
  maybeDup?: number;
  ruleMayTouch?: boolean[];
}

export interface StageResult {
  read: number;
  rejected: number;
  warningsByKind: Record<string, number>;
  files: { file: SourceFile; status: 'read' | 'refused' }[];
  /** Whether the source is a directory (its files are renamed after the commit). */
  directory: boolean;
  resumed: boolean;
}

type Reject = { line: number; column?: string; reason: string; raw: string };

const isHalt = (e: unknown) => e instanceof JobFailure && Object.values<string>(HALTED_TYPES).includes(e.type ?? '');

async function begin(pool: pg.Pool): Promise<pg.PoolClient> {
  const db = guardClient(await pool.connect());
  await db.query('begin');
  return db;
}

/** Drops the connection (the server rolls back): a rollback query would queue behind an open COPY forever. */
async function rollback(db: pg.PoolClient): Promise<void> {
  try {
    db.release(true);
  } catch {
    // Already released by a chunk commit that failed before the next chunk began: the
    // original error (a cancellation, say) is the one to report, not this.
  }
}

/** The resume point from a previous attempt, if it belongs to this run and its files are unchanged. */
async function resumePoint(pool: pg.Pool, runId: string, area: FileArea): Promise<{ cp: Checkpoint; files: SourceFile[] } | undefined> {
  const saved = await pool.query<{ cp: Checkpoint | null }>('select stage_checkpoint as cp from runs where id = $1', [runId]);
  const cp = saved.rows[0]?.cp;
  if (!cp || cp.runId !== runId || typeof cp.fileIndex !== 'number') return undefined;
  const { rows } = await pool.query<{ path: string; size: string; mtime_ms: number }>(
    'select path, size, mtime_ms from import_files where run_id = $1 order by file_index', [runId]);
  const files = rows.map((r) => ({ path: r.path, size: Number(r.size), mtimeMs: r.mtime_ms }));
  const exists = await pool.query('select to_regclass($1) as t', [stagingTable(runId)]);
  if (!exists.rows[0]?.t) return undefined;
  for (const f of files.slice(cp.fileIndex)) {
    const s = (await statInArea(f.path, area).catch(() => undefined))?.stat;
    if (!s || s.size !== f.size || s.mtimeMs !== f.mtimeMs) return undefined; // changed under us: start over
  }
  return { cp, files };
}

async function copyRejects(db: pg.ClientBase, runId: string, rejects: Reject[]): Promise<void> {
  if (!rejects.length) return;
  const w = new CopyWriter(db, 'rejected_rows', ['run_id', 'line', 'column_name', 'reason', 'raw']);
  for (const r of rejects) await w.write([runId, r.line, r.column ?? null, r.reason, r.raw]);
  await w.end();
}

export async function stageRun(
  pool: pg.Pool,
  runRef: { id: string | number | bigint },
  listFiles: () => Promise<{ files: SourceFile[]; directory: boolean }>,
  taskType: TaskType,
  rules: ImportRules,
  read: ReadOptions,
  /** Rows per committed chunk (IMPORT_CHUNK_ROWS): the checkpoint a resumed run starts from. */
  rowsPerChunk: number,
  /**
   * Called with the last committed checkpoint, the bytes read now (of all the run's files,
   * ReadMarks) and the rows read now, as reading progresses and every few seconds.
   */
  progress: (details: Checkpoint & { bytesRead: number; rowsNow: number }) => void,
): Promise<StageResult> {
  // Bigint ids arrive as BigInt: one string form for SQL, COPY and heartbeat details.
  const run = { id: String(runRef.id) };
  const resume = await resumePoint(pool, run.id, read.area);
  let files: SourceFile[];
  let directory: boolean;
  let committed: Checkpoint;
  if (resume) {
    files = resume.files;
    directory = resume.cp.directory;
    committed = resume.cp;
  } else {
    const listed = await listFiles();
    directory = listed.directory;
    files = listed.files;
    committed = { runId: run.id, directory, fileIndex: 0, line: 0, read: 0, rejected: 0, warningsByKind: {}, maybeDup: 0, ruleMayTouch: rules0(taskType) };
  }
  const fileStatus: ('read' | 'refused' | 'pending')[] = files.map(() => 'pending');
  // Progress (domain/importProgress.ts): bytes of the files before file i, and this attempt's start.
  const bytesBefore = files.reduce((acc, f) => [...acc, acc[acc.length - 1]! + f.size], [0]);
  Object.assign(committed, {
    bytesTotal: bytesBefore[files.length], bytesRead: bytesBefore[committed.fileIndex], at: Date.now(),
    attemptStartedAt: Date.now(), attemptStartRead: committed.read, attemptStartBytes: bytesBefore[committed.fileIndex],
  } satisfies Omit<ReadMarks, 'read'>);

  // Heartbeats carry the bytes actually read (of the file being read), besides the checkpoint,
  // and are sent as reading progresses (at most a second apart), as well as from the timer
  // while a statement runs. A read that stalls fails by itself (ReadOptions.stallMs).
  let fileNow = committed.fileIndex;
  let fileBytes = 0;
  const bytesNow = () => bytesBefore[fileNow]! + Math.min(fileBytes, files[fileNow]?.size ?? 0);
  let beatAt = 0;
  let live: Checkpoint | undefined;
  const details = () => ({ ...committed, bytesRead: bytesNow(), rowsNow: live?.read ?? committed.read });
  const reading: ReadOptions = {
    ...read,
    onBytes: (n) => {
      fileBytes = n;
      if (Date.now() - beatAt < 1_000) return;
      beatAt = Date.now();
      progress(details());
    },
  };
  return withTicks(() => progress(details()), async () => {
    // Start clean, or drop what the crashed attempt wrote after its last checkpoint.
    const first = await begin(pool);
    try {
      if (!resume) {
        await first.query('delete from rejected_rows where run_id = $1', [run.id]);
        await first.query('delete from import_files where run_id = $1', [run.id]);
        await createStaging(first, run.id, taskType);
        for (const [i, f] of files.entries()) {
          await first.query('insert into import_files (run_id, file_index, path, size, mtime_ms) values ($1, $2, $3, $4, $5)', [run.id, i, f.path, f.size, f.mtimeMs]);
        }
        await saveCheckpoint(first, committed);
      } else {
        await upgradeStaging(first, run.id);
        await first.query(`delete from ${stagingTable(run.id)} where (file_index, line) > ($1, $2)`, [committed.fileIndex, committed.line]);
        await dropRejectsAfter(first, run.id, committed.rejected);
        const st = await first.query<{ status: 'read' | 'refused' | 'pending' }>('select status from import_files where run_id = $1 order by file_index', [run.id]);
        st.rows.forEach((r, i) => (fileStatus[i] = r.status));
      }
      await first.query('commit');
      first.release();
    } catch (e) {
      first.release(true);
      throw e;
    }

    const fieldColumns = taskType.fields.map((f) => f.column);
    const fieldNames = taskType.fields.map((f) => f.name);
    const stagedColumns = ['file_index', 'line', ...fieldColumns, 'warnings', 'maybe_dup'];
    // Keys staged by this attempt. A resumed attempt does not know the keys staged before the
    // interruption: every row it stages is a duplicate candidate (processing then checks them all).
    const keys = resume ? undefined : new KeyFilter(files.reduce((n, f) => n + f.size, 0));
    const heap = new HeapBound();
    const parse = taskType.parseRow ?? ((values: Record<string, string>) => parseWithSchema(taskType, values));
    const cur: Checkpoint = copyCheckpoint(committed);
    const processRules = taskType.processSql ?? [];
    live = cur;
    let db = await begin(pool);
    let staged = new CopyWriter(db, stagingTable(run.id), stagedColumns);
    let rejects: Reject[] = [];
    let rejectChars = 0;
    let chunkRows = 0;

    // A COPY holds its connection until it ends: other statements of the chunk go after it.
    const commitChunk = async (after?: [string, unknown[]]) => {
      await staged.end();
      await copyRejects(db, run.id, rejects);
      if (after) await db.query(...after);
      Object.assign(cur, { bytesRead: cur.line === 0 ? bytesBefore[cur.fileIndex] : bytesNow(), at: Date.now() });
      await saveCheckpoint(db, cur);
      await db.query('commit');
      db.release();
      committed = copyCheckpoint(cur);
      progress(details());
      rejects = [];
      rejectChars = 0;
      chunkRows = 0;
      read.signal?.throwIfAborted();
      db = await begin(pool);
      staged = new CopyWriter(db, stagingTable(run.id), stagedColumns);
    };

    const reject = (r: Reject) => {
      rejects.push(r);
      rejectChars += r.raw.length;
      cur.rejected++;
    };

    try {
      for (let i = committed.fileIndex; i < files.length; i++) {
        if (fileStatus[i] !== 'pending') continue;
        const file = files[i]!;
        const skipTo = i === committed.fileIndex ? committed.line : 0;
        fileNow = i;
        fileBytes = 0;
        const atStart = copyCheckpoint(cur);
        const prefix = files.length > 1 ? `${path.basename(file.path)}: ` : '';
        try {
          // The hot loop: a chunk of records at a time, each valid row straight into COPY's text
          // form. A CSV row's values are pieces of its raw text, so when that text holds no tab,
          // newline or backslash, none of them needs COPY escaping.
          const rawHoldsValues = taskType.format === 'csv';
          for await (const batch of readRecordBatches(file.path, taskType, rules, reading)) {
            for (const item of batch) {
              if (item.line <= skipTo) continue;
              cur.line = item.line;
              cur.read++;
              chunkRows++;
              if (item.kind === 'reject') {
                reject({ line: item.line, column: item.column, reason: prefix + item.reason, raw: item.raw });
              } else {
                const parsed = parse(item.values);
                if (!parsed.ok) {
                  reject({ line: item.line, column: parsed.column, reason: `${prefix}${parsed.column}: ${parsed.message}`, raw: item.raw });
                } else {
                  const row = parsed.row;
                  const warnings = taskType.rowWarnings?.(row) ?? [];
                  for (const k of warnings) cur.warningsByKind[k] = (cur.warningsByKind[k] ?? 0) + 1;
                  const plain = rawHoldsValues && !NEEDS_ESCAPE.test(item.raw);
                  let line = `${i}\t${item.line}`;
                  for (const name of fieldNames) {
                    const v = row[name];
                    line += v === null || v === undefined ? '\t\\N' : plain || typeof v === 'number' ? `\t${v}` : `\t${copyValue(v)}`;
                  }
                  const maybeDup = keys ? keys.add(String(row[taskType.key])) : true;
                  if (maybeDup && cur.maybeDup !== undefined) cur.maybeDup++;
                  const touch = cur.ruleMayTouch;
                  if (touch) for (let r = 0; r < touch.length; r++) if (!touch[r] && processRules[r]!.mayTouch!(row)) touch[r] = true;
                  if (staged.push(`${line}\t${copyArray(warnings)}\t${maybeDup ? 't' : 'f'}\n`)) {
                    await staged.flush();
                    heap.check();
                  }
                }
              }
              if (chunkRows >= rowsPerChunk || rejectChars >= CHUNK_REJECT_CHARS) {
                cur.fileIndex = i;
                await commitChunk();
              }
            }
          }
        } catch (thrown) {
          const e = fileFailure(thrown, path.basename(file.path));
          // In a directory, a file that cannot be read is refused whole and the others go on.
          if (!(directory && isHalt(e))) throw e;
          await rollback(db);
          db = await begin(pool);
          await db.query(`delete from ${stagingTable(run.id)} where file_index = $1`, [i]);
          await dropRejectsAfter(db, run.id, atStart.rejected);
          Object.assign(cur, copyCheckpoint(atStart));
          rejects = [{ line: 0, reason: `${prefix}the file was not imported and stays in the directory: ${(e as Error).message}`, raw: '' }];
          rejectChars = 0;
          cur.read++;
          cur.rejected++;
          staged = new CopyWriter(db, stagingTable(run.id), stagedColumns);
          fileStatus[i] = 'refused';
        }
        if (fileStatus[i] === 'pending') fileStatus[i] = 'read';
        Object.assign(cur, { fileIndex: i + 1, line: 0 });
        await commitChunk(['update import_files set status = $3 where run_id = $1 and file_index = $2', [run.id, i, fileStatus[i]]]);
      }
      await staged.end();
      await copyRejects(db, run.id, rejects);
      await db.query('commit');
      db.release();
    } catch (e) {
      await rollback(db);
      throw e;
    }
    return {
      read: cur.read, rejected: cur.rejected, warningsByKind: cur.warningsByKind, directory, resumed: !!resume,
      files: files.map((file, i) => ({ file, status: fileStatus[i] === 'refused' ? 'refused' : 'read' })),
    };
  });
}

/** Per processSql rule: false while no staged row may be one it touches (a rule that cannot say: true). */
const rules0 = (taskType: TaskType) => (taskType.processSql ?? []).map((r) => !r.mayTouch);

const copyCheckpoint = (cp: Checkpoint): Checkpoint => ({ ...cp, warningsByKind: { ...cp.warningsByKind }, ruleMayTouch: cp.ruleMayTouch && [...cp.ruleMayTouch] });

async function saveCheckpoint(db: pg.ClientBase, cp: Checkpoint): Promise<void> {
  await db.query('update runs set stage_checkpoint = $2 where id = $1', [cp.runId, JSON.stringify(cp)]);
}

/** Keeps the first `keep` rejected rows of the run (in insertion order) and drops the rest. */
async function dropRejectsAfter(db: pg.ClientBase, runId: string, keep: number): Promise<void> {
  await db.query(
    'delete from rejected_rows where run_id = $1 and id not in (select id from rejected_rows where run_id = $1 order by id limit $2)',
    [runId, keep],
  );
}
