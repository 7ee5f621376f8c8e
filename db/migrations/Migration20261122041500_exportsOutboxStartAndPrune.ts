import { Migration } from '@mikro-orm/migrations';

/**
 * Realtime exports start from "now" and the outbox forgets what no job needs any more.
 *
 * - Start point: when a job becomes a realtime sections export (created so, or changed to
 *   it), its cursor is set to the domain's last recorded change, in the same transaction as
 *   the job row. It takes the domain's outbox turn first (the capture trigger's advisory
 *   lock), so a writer of the domain's changes has either committed (its changes are "before")
 *   or will record its changes after this job is visible (they are delivered).
 * - Pruning: `sections_outbox_prune(domain, max_rows)` deletes, in one statement (one
 *   snapshot), at most max_rows of the domain's changes that every realtime job of the domain
 *   has delivered (all of them when the domain has none). The export activity calls it in the
 *   transaction that advances a cursor (io/export/realtime.ts). A job that stops being
 *   a realtime sections export leaves its domain in `sections_outbox_prune_pending`, so the
 *   next cursor advance (any domain) prunes what only that job still held.
 */
const REALTIME = (alias: string) =>
  `${alias}.direction = 'export' and ${alias}.mode = 'realtime' and ${alias}.task_type = 'sectionsCsv'`;

export class Migration20261122041500_exportsOutboxStartAndPrune extends Migration {
  override async up(): Promise<void> {
    // Jobs that existed before keep their old start (0): they may already have changes waiting.
    this.addSql(`
      insert into export_cursors (job_id, delivered_up_to)
        select j.id, 0 from jobs j where ${REALTIME('j')}
        on conflict (job_id) do nothing`);
    this.addSql(`
      create table sections_outbox_prune_pending (
        domain text primary key,
        since timestamptz not null default now()
      )`);
    this.addSql(`
      create function sections_outbox_prune(d text, max_rows integer) returns integer language sql as $$
        with gone as (
          delete from sections_outbox where id in (
            select o.id from sections_outbox o
            where o.domain = d
              and o.id <= coalesce(
                (select min(coalesce(c.delivered_up_to, 0)) from jobs j left join export_cursors c on c.job_id = j.id
                  where j.domain = d and ${REALTIME('j')}),
                9223372036854775807)
            order by o.id limit max_rows)
          returning 1)
        select count(*)::integer from gone
      $$`);
    // In the job row's transaction, under the domain's outbox lock: no change commits between "now" and the job being seen.
    this.addSql(`
      create function export_cursor_start() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'DELETE' and ${REALTIME('new')}
           and (tg_op = 'INSERT' or not (${REALTIME('old')}) or old.domain <> new.domain) then
          perform pg_advisory_xact_lock(hashtextextended('sections_outbox:' || new.domain, 0));
          insert into export_cursors (job_id, delivered_up_to)
            values (new.id, coalesce((select max(id) from sections_outbox where domain = new.domain), 0))
            on conflict (job_id) do update set delivered_up_to = excluded.delivered_up_to, updated_at = now();
        end if;
        if tg_op <> 'INSERT' and ${REALTIME('old')}
           and (tg_op = 'DELETE' or not (${REALTIME('new')}) or old.domain <> new.domain) then
          insert into sections_outbox_prune_pending (domain) values (old.domain) on conflict (domain) do nothing;
        end if;
        return null;
      end $$`);
    this.addSql(`
      create trigger export_cursor_start after insert or delete or update of domain, direction, mode, task_type on jobs
        for each row execute function export_cursor_start()`);
  }
}
