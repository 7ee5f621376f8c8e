import path from 'node:path';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type pg from 'pg';
import { type Run } from '../../db/entities';
import { HALTED_TYPES } from '../../domain/failures';
import type { RunCounters } from '../../domain/runStatus';
import { importRulesSchema, type ImportRules } from '../../taskTypes/importRules';
import { getTaskType } from '../../taskTypes/registry';
import type { TaskType } from '../../taskTypes/taskType';
import type { ActivityDeps, RunRef } from '../deps';
import { appendLog, countersOf, findRun } from '../runRecords';
import { readCsvRecords } from './csvRecords';
import { listSourceFiles, markImported } from './fileSource';
import { CopyWriter, copyArray, createStaging, stagingTable } from './staging';

/**
 * The three phases of an import run (PRODUCT.md, Statuses): validating reads every row
 * into the run's staging table (rejects kept with their reasons), processing applies the
 * set-based rules, importing moves the rows into the target in one transaction. Each phase
 * commits its result with a marker, so a retried or resumed phase never counts twice.
 */

const HEARTBEAT_EVERY_ROWS = 5_000;

async function inTransaction<T>(pool: pg.Pool, fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  const db = await pool.connect();
  try {
    await db.query('begin');
    const result = await fn(db);
    await db.query('commit');
    return result;
  } catch (e) {
    await db.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    db.release();
  }
}

function addWarnings(byKind: Record<string, number>, kinds: Iterable<string>): void {
  for (const k of kinds) byKind[k] = (byKind[k] ?? 0) + 1;
}

/** A processing rule's SQL with its tables named and its {domain} and {rules} bound as parameters. */
function bindRule(sql: string, v: { staging: string; target: string; domain: string; rules: ImportRules }): [string, unknown[]] {
  const params: unknown[] = [];
  const text = sql
    .replaceAll('{staging}', v.staging)
    .replaceAll('{target}', v.target)
    .replace(/\{(domain|rules)\}/g, (_, name: 'domain' | 'rules') => {
      params.push(name === 'rules' ? JSON.stringify(v.rules) : v.domain);
      return name === 'rules' ? `$${params.length}::jsonb` : `$${params.length}`;
    });
  return [text, params];
}

const sum = (byKind: Record<string, number>) => Object.values(byKind).reduce((a, b) => a + b, 0);

export function importActivities({ orm, pool, config }: ActivityDeps) {
  const load = async (ref: RunRef) => {
    const em = orm.em.fork();
    const { job, run } = await findRun(em, ref);
    const rules = importRulesSchema.parse(job.rules ?? {});
    return { em, job, run, rules, taskType: getTaskType(job.taskType) };
  };

  /** Streams every file of the source into staging; rows that break a rule become rejects. */
  async function stageFiles(db: pg.ClientBase, run: Run, files: string[], taskType: TaskType, rules: ImportRules) {
    const fieldColumns = taskType.fields.map((f) => f.column);
    const staged = new CopyWriter(db, stagingTable(run.id), ['line', ...fieldColumns, 'warnings']);
    const rejects: { line: number; column?: string; reason: string; raw: string }[] = [];
    const warningsByKind: Record<string, number> = {};
    let read = 0;
    // Line numbers run on across a directory's files; rejects name the file when there are several.
    let lineBase = 0;
    for (const file of files) {
      let lastLine = 0;
      const prefix = files.length > 1 ? `${path.basename(file)}: ` : '';
      for await (const item of readCsvRecords(file, taskType, rules)) {
        lastLine = item.line;
        read++;
        if (read % HEARTBEAT_EVERY_ROWS === 0) heartbeat({ phase: 'validating', read });
        if (item.kind === 'reject') {
          rejects.push({ line: lineBase + item.line, column: item.column, reason: prefix + item.reason, raw: item.raw });
          continue;
        }
        const parsed = taskType.rowSchema.safeParse(item.values);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          const column = String(issue.path[0] ?? '');
          rejects.push({ line: lineBase + item.line, column, reason: prefix + `${column}: ${issue.message}`, raw: item.raw });
          continue;
        }
        const row = parsed.data;
        const warnings = taskType.rowWarnings?.(row) ?? [];
        addWarnings(warningsByKind, warnings);
        await staged.write([lineBase + item.line, ...taskType.fields.map((f) => row[f.name]), copyArray(warnings)]);
      }
      lineBase += lastLine;
    }
    await staged.end();
    if (rejects.length) {
      const rejected = new CopyWriter(db, 'rejected_rows', ['run_id', 'line', 'column_name', 'reason', 'raw']);
      for (const r of rejects) await rejected.write([run.id, r.line, r.column ?? null, r.reason, r.raw]);
      await rejected.end();
    }
    return { read, rejected: rejects.length, warningsByKind };
  }

  return {
    async validateImport(ref: RunRef): Promise<RunCounters> {
      const { em, job, run, rules, taskType } = await load(ref);
      if (run.processedAt) return countersOf(run);
      run.status = 'validating';
      await em.flush();
      const { files, directory } = await listSourceFiles(job.sourceUrl ?? '', config.fileRoots);
      // One transaction: a validation that dies half way leaves nothing, and its retry starts clean.
      const counts = await inTransaction(pool, async (db) => {
        await db.query('delete from rejected_rows where run_id = $1', [run.id]);
        await createStaging(db, run.id, taskType);
        return stageFiles(db, run, files, taskType, rules);
      });
      if (counts.read === 0) counts.warningsByKind.no_rows = 1;
      Object.assign(run, {
        read: counts.read, rejected: counts.rejected, warningsByKind: counts.warningsByKind,
        warnings: sum(counts.warningsByKind), sourceFiles: directory ? files : [],
      });
      await em.flush();
      const what = files.length === 0 ? 'no new file in the directory' : `${counts.read} rows from ${files.length} file(s)`;
      await appendLog(em, run.id, counts.read === 0 ? 'warn' : 'info', `Validated ${what}; ${counts.rejected} rejected.`);
      return countersOf(run);
    },

    async processImport(ref: RunRef): Promise<RunCounters> {
      const { em, run, rules, taskType } = await load(ref);
      if (!run.processedAt) {
        run.status = 'processing';
        await em.flush();
        const staging = stagingTable(run.id);
        const key = taskType.fields.find((f) => f.name === taskType.key)!.column;
        const result = await inTransaction(pool, async (db) => {
          // A key seen twice: the later rows are rejected, naming the first line.
          const dup = await db.query(
            `with firsts as (select ${key} as k, min(line) as first from ${staging} group by ${key} having count(*) > 1),
                  moved as (delete from ${staging} s using firsts f where s.${key} = f.k and s.line > f.first returning s.line, f.first)
             insert into rejected_rows (run_id, line, column_name, reason, raw)
             select $1, m.line, '${taskType.key}', 'duplicate key (first seen on line ' || m.first || ')', '' from moved m`,
            [run.id],
          );
          let skipped = 0;
          for (const [field, values] of [['campus', rules.campuses], ['term', rules.terms]] as const) {
            if (!values || !taskType.fields.some((f) => f.name === field)) continue;
            const r = await db.query(`update ${staging} set action = 'skip' where action = 'upsert' and (${field} is null or not (${field} = any($1)))`, [values]);
            skipped += r.rowCount ?? 0;
          }
          for (const rule of taskType.processSql ?? []) {
            await db.query(...bindRule(rule.sql, { staging, target: taskType.table, domain: ref.domain, rules }));
          }
          const { rows } = await db.query<{ kind: string; n: string }>(
            `select w as kind, count(*) as n from ${staging}, unnest(warnings) w where not (w = any($1)) group by w`,
            [Object.keys(run.warningsByKind)],
          );
          const skipRows = await db.query<{ n: string }>(`select count(*) as n from ${staging} where action = 'skip'`);
          await db.query('update runs set processed_at = now() where id = $1', [run.id]);
          return { duplicates: dup.rowCount ?? 0, rows, skipped: Math.max(skipped, Number(skipRows.rows[0]!.n)) };
        });
        const byKind = { ...run.warningsByKind };
        for (const r of result.rows) byKind[r.kind] = (byKind[r.kind] ?? 0) + Number(r.n);
        Object.assign(run, {
          rejected: run.rejected + result.duplicates, skipped: result.skipped,
          warningsByKind: byKind, warnings: sum(byKind), processedAt: new Date(),
        });
        await em.flush();
        await appendLog(em, run.id, 'info', `Processed: ${result.duplicates} duplicate keys rejected, ${result.skipped} rows skipped, warnings ${JSON.stringify(byKind)}.`);
      }
      if (rules.maxRejected !== undefined && run.rejected > rules.maxRejected) {
        throw ApplicationFailure.nonRetryable(
          `${run.rejected} rows were rejected, more than the job allows (${rules.maxRejected}); nothing was imported. Download the rejected rows to see why.`,
          HALTED_TYPES.tooManyRejected,
        );
      }
      return countersOf(run);
    },

    async loadImport(ref: RunRef): Promise<RunCounters> {
      const { em, run, taskType } = await load(ref);
      if (!run.committedAt) {
        run.status = 'importing';
        await em.flush();
        const staging = stagingTable(run.id);
        const cols = taskType.fields.map((f) => f.column);
        const key = taskType.fields.find((f) => f.name === taskType.key)!.column;
        const t = taskType.table;
        await inTransaction(pool, async (db) => {
          // The run row is locked first: two attempts of one load cannot both commit.
          const locked = await db.query('select committed_at from runs where id = $1 for update', [run.id]);
          if (locked.rows[0]?.committed_at) return;
          const counted = await db.query<{ n: string }>(`select count(*) as n from ${staging} where action = 'upsert'`);
          const toImport = Number(counted.rows[0]!.n);
          // The month's counter row is locked by the update, so concurrent runs take turns at the limit.
          await db.query(`insert into monthly_usage (domain, month) values ($1, date_trunc('month', now())::date) on conflict do nothing`, [ref.domain]);
          const usage = await db.query(
            `update monthly_usage set rows = rows + $2 where domain = $1 and month = date_trunc('month', now())::date and rows + $2 <= $3 returning rows`,
            [ref.domain, toImport, config.MONTHLY_ROW_LIMIT],
          );
          if (usage.rowCount === 0) {
            throw ApplicationFailure.nonRetryable(
              `Limit reached: importing ${toImport} rows would pass this domain's monthly limit of ${config.MONTHLY_ROW_LIMIT} rows.`,
              HALTED_TYPES.limitReached,
            );
          }
          const upsert = await db.query<{ inserted: string; updated: string }>(
            `with up as (
               insert into ${t} (domain, ${cols.join(', ')}, last_run_id, updated_at)
               select $1, ${cols.join(', ')}, $2, now() from ${staging} where action = 'upsert' order by line
               on conflict (domain, ${key}) do update set ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}, last_run_id = excluded.last_run_id, updated_at = now()
               where (${cols.map((c) => `${t}.${c}`).join(', ')}) is distinct from (${cols.map((c) => `excluded.${c}`).join(', ')})
               returning (xmax = 0) as inserted)
             select count(*) filter (where inserted) as inserted, count(*) filter (where not inserted) as updated from up`,
            [ref.domain, run.id],
          );
          const del = await db.query(`delete from ${t} t using ${staging} s where s.action = 'delete' and t.domain = $1 and t.${key} = s.${key}`, [ref.domain]);
          const inserted = Number(upsert.rows[0]!.inserted);
          const updated = Number(upsert.rows[0]!.updated);
          await db.query(
            `update runs set inserted = $2, updated = $3, unchanged = $4, deleted = $5, committed_at = now() where id = $1`,
            [run.id, inserted, updated, toImport - inserted - updated, del.rowCount ?? 0],
          );
        });
        await em.refresh(run);
        await appendLog(em, run.id, 'info', `Imported: ${run.inserted} inserted, ${run.updated} updated, ${run.unchanged} unchanged, ${run.deleted} deleted.`);
      }
      // Only after the commit: a directory's files are renamed so they are never read twice.
      await markImported(run.sourceFiles);
      return countersOf(run);
    },
  };
}
