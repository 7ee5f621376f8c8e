import { Migration } from '@mikro-orm/migrations';

/**
 * The missed-schedule ledger (README, Missed schedules): every scheduled time of a job that got
 * no run of its own, with its reason; the times a job's schedule was paused (by a person or by a
 * halt), which tell why no tick came; where the reconciler last looked, per job; and the day's
 * alert claim that keeps the alert email to one per job per day. Runs keep the time their
 * schedule meant them for, so the reconciler can tell a time that got its run.
 */
export class Migration20261207000000_missedSchedules extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table runs add column if not exists scheduled_at timestamptz');
    this.addSql('create index if not exists runs_scheduled_at on runs (job_id, scheduled_at) where scheduled_at is not null');
    this.addSql(`
      create table missed_schedules (
        id bigserial primary key,
        job_id uuid not null references jobs (id) on delete cascade,
        domain text not null,
        scheduled_at timestamptz not null,
        reason text not null,
        detail text,
        merged_into timestamptz,
        recorded_at timestamptz not null default now(),
        unique (job_id, scheduled_at)
      )`);
    this.addSql('create index missed_schedules_by_job on missed_schedules (job_id, scheduled_at desc)');
    this.addSql('create index missed_schedules_merged_into on missed_schedules (job_id, merged_into) where merged_into is not null');
    this.addSql(`
      create table schedule_pauses (
        id bigserial primary key,
        job_id uuid not null references jobs (id) on delete cascade,
        kind text not null,
        note text,
        paused_at timestamptz not null,
        resumed_at timestamptz
      )`);
    this.addSql('create index schedule_pauses_by_job on schedule_pauses (job_id, paused_at)');
    this.addSql(`
      create table missed_schedule_checks (
        job_id uuid primary key references jobs (id) on delete cascade,
        checked_until timestamptz not null,
        missed_catchup_window bigint not null default 0,
        overlap_skipped bigint not null default 0
      )`);
    // Jobs made before the ledger are looked at from now on: their runs have no scheduled time recorded.
    this.addSql('insert into missed_schedule_checks (job_id, checked_until) select id, now() from jobs');
    this.addSql(`
      create table missed_schedule_alerts (
        job_id uuid not null references jobs (id) on delete cascade,
        day date not null,
        sent_at timestamptz not null default now(),
        primary key (job_id, day)
      )`);
  }
}
