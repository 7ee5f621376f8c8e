import path from 'node:path';
import type pg from 'pg';
import { guardClient } from '../../db/transaction';
import type { ReadMarks } from '../../domain/importProgress';
import type { ImportRules } from '../../taskTypes/importRules';
import { parseWithSchema, type FilterRule, type RowAction, type TaskType } from '../../taskTypes/taskType';
import type { ReadOptions } from '../safeFiles';
import { withTicks } from '../ticker';
import { fileFailure, type SourceFile } from './fileSource';
import { HeapBound } from './heapBound';
import { readRecordBatches } from './records';
import { CopyWriter, NEEDS_ESCAPE, copyValue } from './staging';

/**
 * The direct path of a first load (issue 14): when the domain has no rows of the type yet,
 * the file's valid rows go straight into the target with one COPY, in the one transaction
 * that also writes the rejected rows, adds the month's usage and sets the run's processed
 * and committed markers. No staging table, no anti-joins: with no previous rows, every kept
 * row is an insert and the processing rules reduce to their `firstLoad` form.
 *
 * Exactly once by construction: a worker killed at any point leaves nothing (the transaction
 * dies with its connection) or everything (the markers committed with the rows, and every
 * later phase skips). Whatever this path cannot decide alone it leaves to the staged path,
 * which then reads the file again from the start: the domain having rows (seen under the
 * month's usage row lock, which loads of one domain take turns on, so that lock is held while
 * the file is read), a key that appears twice (the table's primary key refuses it among the
 * inserted rows; the keys of rows not inserted are held and checked), no row at all, too many
 * rejected rows, the monthly limit.
 */

/** Rejected text kept in memory until the commit; past it, the staged path takes over. */
const MAX_REJECT_CHARS = 8 * 1024 * 1024;
/** Keys of valid rows not inserted (skipped, canceled) kept to look for repeats; past it, staged. */
const MAX_HELD_KEYS = 200_000;
/** Progress is written (on another connection) at most this often. */
const PROGRESS_EVERY_MS = 1_000;

export interface DirectLoadInput {
  runId: string;
  domain: string;
  file: SourceFile;
  taskType: TaskType;
  rules: ImportRules;
  read: ReadOptions;
  monthlyRowLimit: number;
  /** Rows per progress record (IMPORT_CHUNK_ROWS), as the staged path commits them. */
  rowsPerChunk: number;
  /** Heartbeat details as reading goes (the live rows and bytes). */
  progress: (details: ReadMarks & { phase: 'validating'; direct: true; bytesRead: number; rowsNow: number }) => void;
}

export type DirectLoadResult =
  | { loaded: true; read: number; rejected: number; skipped: number; inserted: number; warningsByKind: Record<string, number> }
  | { loaded: false; why: string };

/** Whether the task type's first loads can take the direct path at all (its rules say how). */
export const directPathFits = (taskType: TaskType) => (taskType.processSql ?? []).every((r) => typeof r.firstLoad === 'function');

class FallBack extends Error {}

type Reject = { line: number; column?: string; reason: string; raw: string };

export async function loadDirect(pool: pg.Pool, input: DirectLoadInput): Promise<DirectLoadResult> {
  const { runId, domain, file, taskType, rules } = input;
  const table = taskType.table;
  const fieldNames = taskType.fields.map((f) => f.name);
  const filters = Object.entries(taskType.filters ?? {})
    .map(([rule, field]) => ({ values: rules[rule as FilterRule], field }))
    .filter((f): f is { values: string[]; field: string } => !!f.values && taskType.fields.some((x) => x.name === f.field));
  const processRules = taskType.processSql ?? [];
  const parse = taskType.parseRow ?? ((values: Record<string, string>) => parseWithSchema(taskType, values));

  const startedAt = Date.now();
  const marks: ReadMarks = { read: 0, bytesRead: 0, bytesTotal: file.size, at: startedAt, attemptStartedAt: startedAt, attemptStartRead: 0, attemptStartBytes: 0 };
  let fileBytes = 0;
  const details = () => ({ ...marks, phase: 'validating' as const, direct: true as const, bytesRead: Math.min(fileBytes, file.size), rowsNow: marks.read });
  // Progress for the run detail, committed apart (the run's own row is written only at the end):
  // one write at a time, and all done before that end, so none lands after it.
  let written: Promise<unknown> = Promise.resolve();
  let writtenAt = startedAt;
  const record = (read: number) => {
    Object.assign(marks, { read, bytesRead: Math.min(fileBytes, file.size), at: Date.now() });
    writtenAt = Date.now();
    const cp = JSON.stringify({ runId, direct: true, ...marks });
    written = written.then(() => pool.query('update runs set stage_checkpoint = $2 where id = $1 and committed_at is null', [runId, cp])).catch(() => undefined);
  };
  let beatAt = 0;
  const read: ReadOptions = {
    ...input.read,
    onBytes: (n) => {
      fileBytes = n;
      if (Date.now() - beatAt < 1_000) return;
      beatAt = Date.now();
      input.progress(details());
    },
  };

  const db = guardClient(await pool.connect());
  let released = false;
  const drop = () => {
    if (!released) db.release(true);
    released = true;
  };
  try {
    return await withTicks(() => input.progress(details()), async () => {
      await db.query('begin');
      // The month's usage row is locked first, as the staged load does: loads of the domain take turns.
      await db.query(`insert into monthly_usage (domain, month) values ($1, date_trunc('month', now())::date) on conflict do nothing`, [domain]);
      await db.query(`select rows from monthly_usage where domain = $1 and month = date_trunc('month', now())::date for update`, [domain]);
      const any = await db.query(`select 1 from ${table} where domain = $1 limit 1`, [domain]);
      if (any.rowCount) throw new FallBack('the domain already has rows');
      await db.query('delete from rejected_rows where run_id = $1', [runId]);
      await db.query('delete from import_files where run_id = $1', [runId]);
      await db.query(`insert into import_files (run_id, file_index, path, size, mtime_ms, status) values ($1, 0, $2, $3, $4, 'read')`, [runId, file.path, file.size, file.mtimeMs]);

      const out = new CopyWriter(db, table, ['domain', ...taskType.fields.map((f) => f.column), 'last_run_id']);
      const head = `${copyValue(domain)}`;
      const tail = `\t${runId}\n`;
      // A key seen twice is rejected on its later rows by the staged path, kept or not. The
      // table's primary key catches repeats among inserted rows; the keys of the others are held.
      const held = new Set<string>();
      const heap = new HeapBound();
      const rejects: Reject[] = [];
      const warningsByKind: Record<string, number> = {};
      const warn = (kind: string) => (warningsByKind[kind] = (warningsByKind[kind] ?? 0) + 1);
      let rejectChars = 0;
      let count = 0;
      let inserted = 0;
      let skipped = 0;
      const rawHoldsValues = taskType.format === 'csv';
      for await (const batch of readRecordBatches(file.path, taskType, rules, read)) {
        for (const item of batch) {
          count++;
          if (count % input.rowsPerChunk === 0 && Date.now() - writtenAt >= PROGRESS_EVERY_MS) record(count);
          let reject: Reject | undefined;
          if (item.kind === 'reject') reject = { line: item.line, column: item.column, reason: item.reason, raw: item.raw };
          else {
            const parsed = parse(item.values);
            if (!parsed.ok) reject = { line: item.line, column: parsed.column, reason: `${parsed.column}: ${parsed.message}`, raw: item.raw };
            else {
              const row = parsed.row;
              for (const k of taskType.rowWarnings?.(row) ?? []) warn(k);
              let action: RowAction = 'upsert';
              for (const f of filters) {
                const v = row[f.field];
                if (v === null || v === undefined || !f.values.includes(String(v))) action = 'skip';
              }
              for (const rule of processRules) {
                const next = rule.firstLoad!(row, action, rules);
                if (next.warn) warn(rule.warning);
                action = next.action;
              }
              // A delete finds nothing to delete in an empty slice.
              if (action === 'skip') skipped++;
              if (action !== 'upsert') {
                const key = String(row[taskType.key]);
                if (held.has(key)) throw new FallBack('a key appears twice');
                if (held.size >= MAX_HELD_KEYS) throw new FallBack('too many rows not imported to check for repeated keys');
                held.add(key);
                continue;
              }
              const plain = rawHoldsValues && !NEEDS_ESCAPE.test(item.raw);
              let line = head;
              for (const name of fieldNames) {
                const v = row[name];
                line += v === null || v === undefined ? '\t\\N' : plain || typeof v === 'number' ? `\t${v}` : `\t${copyValue(v)}`;
              }
              inserted++;
              if (out.push(line + tail)) {
                await out.flush();
                heap.check();
              }
              continue;
            }
          }
          rejects.push(reject);
          rejectChars += reject.raw.length;
          if (rejectChars > MAX_REJECT_CHARS) throw new FallBack('too much rejected text to hold');
        }
      }
      await out.end();
      if (count === 0) throw new FallBack('no row');
      if (held.size) {
        const key = taskType.fields.find((f) => f.name === taskType.key)!;
        const again = await db.query(`select 1 from ${table} where domain = $1 and ${key.column} = any($2::${key.sqlType ?? 'text'}[]) limit 1`, [domain, [...held]]);
        if (again.rowCount) throw new FallBack('a key appears twice');
      }
      if (rules.maxRejected !== undefined && rejects.length > rules.maxRejected) throw new FallBack('more rows rejected than the job allows');
      if (rejects.length) {
        const w = new CopyWriter(db, 'rejected_rows', ['run_id', 'line', 'column_name', 'reason', 'raw']);
        for (const r of rejects) await w.write([runId, r.line, r.column ?? null, r.reason, r.raw]);
        await w.end();
      }
      const usage = await db.query(
        `update monthly_usage set rows = rows + $2 where domain = $1 and month = date_trunc('month', now())::date and rows + $2 <= $3`,
        [domain, inserted, input.monthlyRowLimit],
      );
      if (usage.rowCount === 0) throw new FallBack('the monthly limit');
      Object.assign(marks, { read: count, bytesRead: file.size, at: Date.now() });
      await written;
      const warnings = Object.values(warningsByKind).reduce((a, b) => a + b, 0);
      await db.query(
        `update runs set read = $2, rejected = $3, skipped = $4, inserted = $5, updated = 0, unchanged = 0, deleted = 0,
           warnings_by_kind = $6, warnings = $7, source_files = '[]', stage_checkpoint = $8, processed_at = now(), committed_at = now()
         where id = $1`,
        [runId, count, rejects.length, skipped, inserted, JSON.stringify(warningsByKind), warnings, JSON.stringify({ runId, direct: true, ...marks })],
      );
      await db.query('commit');
      db.release();
      released = true;
      return { loaded: true as const, read: count, rejected: rejects.length, skipped, inserted, warningsByKind };
    });
  } catch (e) {
    drop();
    await written;
    if (e instanceof FallBack) return { loaded: false, why: e.message };
    // The table's primary key refused a repeated key the filter did not flag (it flags every one; this is the safety net).
    if ((e as { code?: string }).code === '23505') return { loaded: false, why: 'a duplicate key' };
    // As the staged path says it: the safe file module's refusals as the run's failure, naming the file.
    throw fileFailure(e, path.basename(file.path));
  }
}
