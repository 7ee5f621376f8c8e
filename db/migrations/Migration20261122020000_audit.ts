import { Migration } from '@mikro-orm/migrations';

/** The audit trail of changes and run requests made through the API. */
export class Migration20261122020000_audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table audit_entries (
        id bigserial primary key,
        at timestamptz not null default now(),
        token_id uuid not null,
        token_name text not null,
        role text not null,
        domain text,
        action text not null,
        target text not null,
        outcome text not null check (outcome in ('ok', 'refused', 'error')),
        http_status integer not null,
        detail text
      )`);
    this.addSql('create index audit_entries_domain_at on audit_entries (domain, at desc, id desc)');
    // The job list filters by text in name or identifier and sorts by name.
    this.addSql('create index jobs_domain_name on jobs (domain, name)');
  }
}
