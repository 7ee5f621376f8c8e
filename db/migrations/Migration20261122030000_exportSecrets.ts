import { Migration } from '@mikro-orm/migrations';

/**
 * Exports: a job's credentials, encrypted at rest (io/secrets.ts), and the bytes a
 * run delivered (an export's counters are rows; its size is kept beside them).
 */
export class Migration20261122030000_exportSecrets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table job_secrets (
        job_id uuid not null references jobs (id) on delete cascade,
        kind text not null,
        ciphertext bytea not null,
        iv bytea not null,
        tag bytea not null,
        key_id text not null,
        updated_at timestamptz not null default now(),
        primary key (job_id, kind)
      )`);
    this.addSql('alter table runs add column if not exists bytes_delivered bigint not null default 0');
  }
}
