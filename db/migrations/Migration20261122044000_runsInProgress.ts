import { Migration } from '@mikro-orm/migrations';

/**
 * The job list reads each row's run in progress (its phase): a small partial index finds it
 * without walking the job's whole run history.
 */
export class Migration20261122044000_runsInProgress extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index if not exists runs_in_progress on runs (job_id, number desc) where ended_at is null');
  }
}
