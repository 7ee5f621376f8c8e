import { Migration } from '@mikro-orm/migrations';

/**
 * Runs started by their Schedule (io/runSlot.ts). A job's open run record is its run slot, and
 * the next run's number is taken from the records under the job row's lock; this column says
 * whether a scheduled run must ask the job workflow first (the job is paused, halted or has a
 * rerun due, or its last run failed and the job has not yet decided). Existing jobs start asking
 * (today's behaviour) until their job workflow says otherwise. The second says the job workflow
 * waits for the slot behind a run its Schedule started, which must then tell the job it ended.
 */
export class Migration20261208000000_runSlot extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table jobs add column if not exists scheduled_runs_ask_job boolean not null default true');
    this.addSql('alter table jobs add column if not exists job_waits_for_slot boolean not null default false');
    this.addSql('create index if not exists runs_workflow_id on runs (workflow_id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists runs_workflow_id');
    this.addSql('alter table jobs drop column if exists job_waits_for_slot');
    this.addSql('alter table jobs drop column if exists scheduled_runs_ask_job');
  }
}
