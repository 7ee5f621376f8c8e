import { Migration } from '@mikro-orm/migrations';

/**
 * When a person asked to cancel the run (the API's cancel). A whole run is one activity
 * (activities/runPhases.ts): it reads this between its phases, so a cancel stops the run before
 * its next phase at once, where Temporal's cancel reaches a running activity only with a
 * heartbeat's answer.
 */
export class Migration20261207060000_runCancelRequested extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table runs add column if not exists cancel_requested_at timestamptz');
  }

  override async down(): Promise<void> {
    this.addSql('alter table runs drop column if exists cancel_requested_at');
  }
}
