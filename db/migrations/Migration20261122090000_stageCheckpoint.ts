import { Migration } from '@mikro-orm/migrations';

/**
 * Where validation resumes after an interruption, committed with each chunk of staged rows.
 * It used to come from the activity's heartbeat details, which are throttled and can trail
 * the database: a retry then skipped a file already marked read after emptying its rows.
 */
export class Migration20261122090000_stageCheckpoint extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table runs add column if not exists stage_checkpoint jsonb');
  }
}
