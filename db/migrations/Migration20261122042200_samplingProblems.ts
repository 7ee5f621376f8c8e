import { Migration } from '@mikro-orm/migrations';

/**
 * The problems of a job's last sample (the sentences an administrator acts on), kept with the
 * job so they outlive the request that found them: the job detail and GET .../sample show them.
 */
export class Migration20261122042200_samplingProblems extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table jobs add column if not exists sampling_problems jsonb not null default '[]'`);
  }
}
