import type pg from 'pg';
import { outboxOf, type Outbox } from '../../taskTypes/changeCapture';
import type { ExportRules, ExportSpec } from './exportTypes';
import { csvLine } from '../csvWriter';
import { Spool } from './spool';

/**
 * Realtime exports: a run carries the changes recorded in its task type's outbox since the
 * job's cursor (the change capture: taskTypes/changeCapture.ts). The range is fixed when the
 * run extracts and kept with the run, so a repeated extraction or delivery carries the same
 * changes; the cursor moves past them only in the transaction that records the run as
 * delivered. Each batch goes under its own name (the change ids in it), so a batch that is
 * delivered again after a crash replaces itself instead of arriving as a second batch.
 *
 * A job starts after the domain's last change recorded when it became a realtime job (its
 * cursor is set with the job row, by the change capture), and the changes every realtime
 * job of a domain has delivered are deleted as cursors advance.
 */

const PAGE = 2_000;

export interface ChangeRange {
  afterId: string;
  upToId: string;
}

/**
 * The run's range of changes: the one it already has, or the next one after the job's cursor,
 * at most `maxChanges` (EXPORT_MAX_CHANGES_PER_RUN; the next run takes the rest).
 */
export async function claimChanges(db: Pick<pg.Pool, 'query'>, outbox: Outbox, jobUuid: string, domain: string, runId: string, maxChanges: number): Promise<ChangeRange> {
  const existing = await db.query<{ after_id: string; up_to_id: string }>('select after_id, up_to_id from export_run_changes where run_id = $1', [runId]);
  if (existing.rows[0]) return { afterId: existing.rows[0].after_id, upToId: existing.rows[0].up_to_id };
  // The cursor is set when the job became a realtime export (the change capture); 0 only if that never happened.
  await db.query('insert into export_cursors (job_id) values ($1) on conflict do nothing', [jobUuid]);
  const cursor = (await db.query<{ delivered_up_to: string }>('select delivered_up_to from export_cursors where job_id = $1', [jobUuid])).rows[0]!.delivered_up_to;
  // A run that failed after claiming changes left them undelivered (or delivered without
  // recording it): the next run carries exactly that range again, under the same name.
  const abandoned = await db.query<{ up_to_id: string }>(
    `select c.up_to_id from export_run_changes c join runs r on r.id = c.run_id
     where r.job_id = $1 and c.after_id = $2 and c.up_to_id > c.after_id order by c.run_id desc limit 1`,
    [jobUuid, cursor],
  );
  const last = abandoned.rows[0] ? { rows: [{ up_to: abandoned.rows[0].up_to_id }] } : await db.query<{ up_to: string | null }>(
    `select max(id) as up_to from (select id from ${outbox.table} where domain = $1 and id > $2 order by id limit $3) c`,
    [domain, cursor, maxChanges],
  );
  const range = { afterId: cursor, upToId: last.rows[0]!.up_to ?? cursor };
  await db.query('insert into export_run_changes (run_id, after_id, up_to_id) values ($1, $2, $3) on conflict (run_id) do nothing', [runId, range.afterId, range.upToId]);
  const kept = await db.query<{ after_id: string; up_to_id: string }>('select after_id, up_to_id from export_run_changes where run_id = $1', [runId]);
  return { afterId: kept.rows[0]!.after_id, upToId: kept.rows[0]!.up_to_id };
}

/**
 * Writes the range's changes, in order, as CSV: `change_id`, `operation` (upsert or
 * delete), then the task type's fields. A deleted row has only its key; a row that leaves
 * the job's filters (sections: campus, term) is sent as a delete.
 */
export async function writeChangesFile(
  db: Pick<pg.Pool, 'query'>,
  spec: ExportSpec,
  domain: string,
  rules: ExportRules,
  range: ChangeRange,
  file: string,
  onProgress: (rows: number) => void = () => undefined,
): Promise<{ rows: number; bytes: number }> {
  const spool = await Spool.open(file);
  const outbox = outboxOf(spec.taskType);
  const keyField = spec.taskType.key;
  const filters = Object.entries(spec.descriptor.filters)
    .map(([rule, column]) => ({ column, allowed: rules[rule as keyof ExportRules] }))
    .filter((f): f is { column: string; allowed: string[] } => !!f.allowed);
  let rows = 0;
  const emit = (s: string) => spool.write(s);
  try {
    await emit(csvLine(['change_id', 'operation', ...spec.fields.map((f) => f.name)]));
    let after = range.afterId;
    for (;;) {
      const page = await db.query<{ id: string; key: string; op: 'upsert' | 'delete'; row: Record<string, string | number | null> | null }>(
        `select id, ${outbox.keyColumn} as key, op, row from ${outbox.table} where domain = $1 and id > $2 and id <= $3 order by id limit $4`,
        [domain, after, range.upToId, PAGE],
      );
      for (const c of page.rows) {
        const row = c.row;
        const kept = c.op === 'upsert' && row && filters.every((f) => f.allowed.includes(String(row[f.column] ?? '')));
        const values = spec.fields.map((f) => (kept ? (row[f.column] ?? null) : f.name === keyField ? c.key : null));
        await emit(csvLine([Number(c.id), kept ? 'upsert' : 'delete', ...values]));
        rows++;
      }
      onProgress(rows);
      if (page.rows.length < PAGE) break;
      after = page.rows[page.rows.length - 1]!.id;
    }
    await spool.commit();
    return { rows, bytes: spool.bytes };
  } catch (e) {
    await spool.abort();
    throw e;
  }
}

/** Moves the job's cursor past the run's range, in the caller's transaction; false if another run moved it. */
export async function advanceCursor(db: pg.ClientBase, jobUuid: string, range: ChangeRange): Promise<boolean> {
  const res = await db.query<{ delivered_up_to: string }>(
    `update export_cursors set delivered_up_to = $3, updated_at = now() where job_id = $1 and delivered_up_to in ($2, $3) returning delivered_up_to`,
    [jobUuid, range.afterId, range.upToId],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Most outbox rows one cursor advance deletes (at least a run's worth); what is left goes with the next ones. */
const pruneBatch = (maxChanges: number) => Math.max(1_000, maxChanges);

/**
 * Deletes, in the caller's transaction (the one that advances a cursor), changes no realtime
 * job still needs: at most pruneBatch(maxChanges) of `domain`'s in `outbox`, and, in each outbox of
 * `pendingIn` (every realtime type's), of one domain left by a job that stopped being a
 * realtime export. Set-based and bounded; skipped while another transaction prunes the same
 * domain (so two prunes never wait on each other's deleted rows), the next advance catches
 * up. Returns the rows deleted.
 */
export async function pruneDelivered(db: pg.ClientBase, outbox: Outbox, domain: string, pendingIn: readonly Outbox[], maxChanges: number): Promise<number> {
  const batch = pruneBatch(maxChanges);
  let deleted = 0;
  const prune = async (o: Outbox, d: string) => {
    const locked = await db.query<{ ok: boolean }>('select pg_try_advisory_xact_lock(hashtextextended($1::text || $2::text, 0)) as ok', [o.pruneLockPrefix, d]);
    if (!locked.rows[0]!.ok) return undefined;
    const n = (await db.query<{ n: number }>(`select ${o.pruneFunction}($1, $2) as n`, [d, batch])).rows[0]!.n;
    deleted += n;
    return n;
  };
  await prune(outbox, domain);
  for (const o of pendingIn) {
    const pending = await db.query<{ domain: string }>(
      `select domain from ${o.prunePending} where $2::boolean or domain <> $1 order by since limit 1 for update skip locked`, [domain, o.table !== outbox.table]);
    const other = pending.rows[0]?.domain;
    if (other === undefined) continue;
    const n = await prune(o, other);
    if (n !== undefined && n < batch) await db.query(`delete from ${o.prunePending} where domain = $1`, [other]);
  }
  return deleted;
}

/** The name a batch goes under: the destination's name with the batch's change ids. */
export function batchName(name: string, range: ChangeRange): string {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  return `${stem}-changes-${BigInt(range.afterId) + 1n}-${range.upToId}${ext}`;
}
