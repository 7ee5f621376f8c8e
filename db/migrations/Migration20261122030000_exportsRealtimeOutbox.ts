import { Migration } from '@mikro-orm/migrations';

/**
 * Realtime exports: every change to sections is recorded in the same transaction as the
 * change (a trigger, so imports and API edits alike are covered), for the domains that have
 * a realtime sectionsCsv export job. Writers of one domain's recorded changes take turns
 * (a transaction advisory lock), so within a domain the outbox ids follow commit order and
 * a reader that has seen id n will never later find a smaller id committed.
 *
 * Each realtime job keeps its own cursor (the last change it delivered); each export run
 * records the range of changes it carries, so a repeated delivery carries the same ones.
 */
export class Migration20261122030000_exportsRealtimeOutbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table sections_outbox (
        id bigserial primary key,
        domain text not null,
        section_id text not null,
        op text not null check (op in ('upsert', 'delete')),
        row jsonb,
        changed_at timestamptz not null default now()
      )`);
    this.addSql('create index sections_outbox_domain on sections_outbox (domain, id)');
    this.addSql(`
      create table export_cursors (
        job_id uuid primary key references jobs (id) on delete cascade,
        delivered_up_to bigint not null default 0,
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table export_run_changes (
        run_id bigint primary key references runs (id) on delete cascade,
        after_id bigint not null,
        up_to_id bigint not null
      )`);
    this.addSql(`
      create function sections_outbox_capture() returns trigger language plpgsql as $$
      declare
        d text := case when tg_op = 'DELETE' then old.domain else new.domain end;
      begin
        if not exists (select 1 from jobs j where j.domain = d and j.direction = 'export'
                         and j.mode = 'realtime' and j.task_type = 'sectionsCsv') then
          return null;
        end if;
        perform pg_advisory_xact_lock(hashtextextended('sections_outbox:' || d, 0));
        if tg_op = 'DELETE' then
          insert into sections_outbox (domain, section_id, op) values (old.domain, old.section_id, 'delete');
          return null;
        end if;
        if tg_op = 'UPDATE' and (old.domain, old.section_id) is distinct from (new.domain, new.section_id) then
          insert into sections_outbox (domain, section_id, op) values (old.domain, old.section_id, 'delete');
        end if;
        if tg_op = 'UPDATE' and (to_jsonb(old) - 'last_run_id' - 'updated_at') = (to_jsonb(new) - 'last_run_id' - 'updated_at') then
          return null;
        end if;
        insert into sections_outbox (domain, section_id, op, row)
          values (new.domain, new.section_id, 'upsert', to_jsonb(new) - 'domain' - 'last_run_id' - 'updated_at');
        return null;
      end $$`);
    this.addSql(`
      create trigger sections_outbox_capture after insert or update or delete on sections
        for each row execute function sections_outbox_capture()`);
  }
}
