import type { TaskType } from './taskType';

/**
 * The change capture of a realtime task type (README, Realtime exports), generated from its
 * table, key and fields: every change to the table is recorded in `<table>_outbox`, in the
 * transaction that makes it, for the domains that have a realtime export job of the type.
 *
 * - Capture: statement triggers see the changed rows as transition tables and record them
 *   in one INSERT ... SELECT (a row trigger cost an import of 1,000,000 sections 9 s instead
 *   of 3.4 s); with no realtime job of the type at all they return after one lookup. An
 *   insert is an upsert, a delete a delete, an update an upsert of each row whose fields
 *   changed and a delete of each key that is gone. Writers of one domain's changes take
 *   turns (a transaction advisory lock, in domain order: no deadlock between two), so the
 *   outbox ids follow commit order within a domain.
 * - Start point: when a job becomes a realtime export of the type, its cursor is set to the
 *   domain's last recorded change, in the job row's transaction, under the same lock.
 * - Pruning: `<outbox>_prune(domain, max_rows)` deletes at most max_rows of the domain's
 *   changes that every realtime job of the type in the domain has delivered; a job that
 *   stops being one leaves its domain in `<outbox>_prune_pending` for a later pass.
 *
 * A migration installs it (outboxTablesSql once, changeCaptureSql after). The functions
 * name their fields, so a migration that changes a realtime type's fields, or this file,
 * runs changeCaptureSql again; test/import/taskTypeConsistency.test.ts fails until it does.
 */

/** The outbox of a task type's changes and the names around it, all derived from its table. */
export interface Outbox {
  /** `<table>_outbox`: id, domain, the key column, op ('upsert' | 'delete'), row (the fields as jsonb), changed_at. */
  table: string;
  keyColumn: string;
  /** The advisory lock a domain's writers take turns on is `hashtextextended(lockPrefix || domain, 0)`. */
  lockPrefix: string;
  /** The lock that keeps two prunes of one domain apart. */
  pruneLockPrefix: string;
  /** `(d text, max_rows integer) returns integer`: the rows it deleted. */
  pruneFunction: string;
  /** Domains whose last realtime job went: their leftovers are pruned by a later cursor advance. */
  prunePending: string;
}

export interface SqlFunction {
  name: string;
  /** Arguments as declared, e.g. `(d text, max_rows integer)`. */
  args: string;
  returns: string;
  language: 'plpgsql' | 'sql';
  /** Exactly what PostgreSQL keeps as the function's source (pg_proc.prosrc). */
  body: string;
}

export interface SqlTrigger {
  name: string;
  table: string;
  /** What fires it, e.g. `after insert ... for each statement`. */
  when: string;
  function: string;
}

export interface ChangeCapture {
  outbox: Outbox;
  functions: SqlFunction[];
  triggers: SqlTrigger[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Names come from code, never from users; still, only plain identifiers reach the SQL. */
function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain SQL identifier (lower case letters, digits, _).`);
  return name;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** jsonb_build_object takes at most 100 arguments: wider rows are built in parts. */
const PAIRS_PER_CALL = 40;

export function outboxOf(taskType: TaskType): Outbox {
  const key = taskType.fields.find((f) => f.name === taskType.key);
  if (!key) throw new Error(`${taskType.name}: its key ${taskType.key} is not one of its fields.`);
  const table = identifier(`${taskType.table}_outbox`);
  return {
    table,
    keyColumn: identifier(key.column),
    lockPrefix: `${table}:`,
    pruneLockPrefix: `${table}_prune:`,
    pruneFunction: `${table}_prune`,
    prunePending: `${table}_prune_pending`,
  };
}

/** The outbox and the prune-pending tables: created once, by the migration that makes the type realtime. */
export function outboxTablesSql(taskType: TaskType): string[] {
  const o = outboxOf(taskType);
  const keyType = taskType.fields.find((f) => f.name === taskType.key)!.sqlType ?? 'text';
  return [
    `create table ${o.table} (
      id bigserial primary key,
      domain text not null,
      ${o.keyColumn} ${keyType} not null,
      op text not null check (op in ('upsert', 'delete')),
      row jsonb,
      changed_at timestamptz not null default now()
    )`,
    `create index ${o.table}_domain on ${o.table} (domain, id)`,
    `create table ${o.prunePending} (
      domain text primary key,
      since timestamptz not null default now()
    )`,
  ];
}

/** The capture, start-point and prune functions and their triggers, as the task type says today. */
export function changeCaptureOf(taskType: TaskType): ChangeCapture {
  const o = outboxOf(taskType);
  const t = identifier(taskType.table);
  const k = o.keyColumn;
  const columns = taskType.fields.map((f) => identifier(f.column));
  const isRealtimeJob = (j: string) => `${j}.direction = 'export' and ${j}.mode = 'realtime' and ${j}.task_type = ${literal(taskType.name)}`;
  const realtimeIn = (domain: string) => `exists (select 1 from jobs j where j.domain = ${domain} and ${isRealtimeJob('j')})`;
  // The recorded row: the type's fields by column name (what the export reads back).
  const row = (alias: string) => {
    const parts: string[] = [];
    for (let i = 0; i < columns.length; i += PAIRS_PER_CALL) {
      parts.push(`jsonb_build_object(${columns.slice(i, i + PAIRS_PER_CALL).map((c) => `${literal(c)}, ${alias}.${c}`).join(', ')})`);
    }
    return parts.join(' || ');
  };
  const lockDomains = (rows: string) =>
    `perform pg_advisory_xact_lock(hashtextextended(${literal(o.lockPrefix)} || d.domain, 0))
           from (select distinct r.domain from ${rows} r where ${realtimeIn('r.domain')} order by 1) d;`;

  const capture: SqlFunction = {
    name: `${o.table}_capture_rows`,
    args: '()',
    returns: 'trigger',
    language: 'plpgsql',
    body: `
      begin
        if not exists (select 1 from jobs j where ${isRealtimeJob('j')}) then
          return null;
        end if;
        if tg_op = 'INSERT' then
          ${lockDomains('new_rows')}
          insert into ${o.table} (domain, ${k}, op, row)
            select n.domain, n.${k}, 'upsert', ${row('n')} from new_rows n
            where ${realtimeIn('n.domain')} order by n.domain, n.${k};
        elsif tg_op = 'DELETE' then
          ${lockDomains('old_rows')}
          insert into ${o.table} (domain, ${k}, op)
            select o.domain, o.${k}, 'delete' from old_rows o
            where ${realtimeIn('o.domain')} order by o.domain, o.${k};
        else
          ${lockDomains('(select domain from old_rows union select domain from new_rows)')}
          -- A key that is gone (its key changed) is a delete; a new or changed row an upsert.
          insert into ${o.table} (domain, ${k}, op, row)
            select c.domain, c.${k}, c.op, c.row from (
              select o.domain, o.${k}, 'delete' as op, null::jsonb as row, 0 as k from old_rows o
                where not exists (select 1 from new_rows n where n.domain = o.domain and n.${k} = o.${k})
              union all
              select n.domain, n.${k}, 'upsert', ${row('n')}, 1 from new_rows n
                left join old_rows o on o.domain = n.domain and o.${k} = n.${k}
                where o.${k} is null or ${row('o')} is distinct from ${row('n')}
            ) c
            where ${realtimeIn('c.domain')} order by c.domain, c.k, c.${k};
        end if;
        return null;
      end `,
  };

  // In the job row's transaction, under the domain's outbox lock: no change commits between "now" and the job being seen.
  const cursorStart: SqlFunction = {
    name: `${o.table}_cursor_start`,
    args: '()',
    returns: 'trigger',
    language: 'plpgsql',
    body: `
      begin
        if tg_op <> 'DELETE' and ${isRealtimeJob('new')}
           and (tg_op = 'INSERT' or not (${isRealtimeJob('old')}) or old.domain <> new.domain) then
          perform pg_advisory_xact_lock(hashtextextended(${literal(o.lockPrefix)} || new.domain, 0));
          insert into export_cursors (job_id, delivered_up_to)
            values (new.id, coalesce((select max(id) from ${o.table} where domain = new.domain), 0))
            on conflict (job_id) do update set delivered_up_to = excluded.delivered_up_to, updated_at = now();
        end if;
        if tg_op <> 'INSERT' and ${isRealtimeJob('old')}
           and (tg_op = 'DELETE' or not (${isRealtimeJob('new')}) or old.domain <> new.domain) then
          insert into ${o.prunePending} (domain) values (old.domain) on conflict (domain) do nothing;
        end if;
        return null;
      end `,
  };

  // One statement, one snapshot: what every realtime job of the domain has delivered (all when it has none).
  const prune: SqlFunction = {
    name: o.pruneFunction,
    args: '(d text, max_rows integer)',
    returns: 'integer',
    language: 'sql',
    body: `
      with gone as (
        delete from ${o.table} where id in (
          select o.id from ${o.table} o
          where o.domain = d
            and o.id <= coalesce(
              (select min(coalesce(c.delivered_up_to, 0)) from jobs j left join export_cursors c on c.job_id = j.id
                where j.domain = d and ${isRealtimeJob('j')}),
              9223372036854775807)
          order by o.id limit max_rows)
        returning 1)
      select count(*)::integer from gone
    `,
  };

  const transitions: Record<'insert' | 'update' | 'delete', string> = {
    insert: 'referencing new table as new_rows',
    update: 'referencing old table as old_rows new table as new_rows',
    delete: 'referencing old table as old_rows',
  };
  const triggers: SqlTrigger[] = [
    ...(['insert', 'update', 'delete'] as const).map((event) => ({
      name: `${o.table}_${event}`, table: t, when: `after ${event} on ${t} ${transitions[event]} for each statement`, function: capture.name,
    })),
    { name: cursorStart.name, table: 'jobs', when: 'after insert or delete or update of domain, direction, mode, task_type on jobs for each row', function: cursorStart.name },
  ];
  return { outbox: o, functions: [capture, cursorStart, prune], triggers };
}

/** The statements that install (or bring up to date) the type's change capture; its outbox tables must exist. */
export function changeCaptureSql(taskType: TaskType): string[] {
  const { functions, triggers } = changeCaptureOf(taskType);
  return [
    ...functions.map((f) => `create or replace function ${f.name}${f.args} returns ${f.returns} language ${f.language} as $$${f.body}$$`),
    ...triggers.flatMap((tr) => [
      `drop trigger if exists ${tr.name} on ${tr.table}`,
      `create trigger ${tr.name} ${tr.when} execute function ${tr.function}()`,
    ]),
  ];
}
