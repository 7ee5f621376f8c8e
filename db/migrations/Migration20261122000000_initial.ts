import { Migration } from '@mikro-orm/migrations';

/** Jobs, runs and their logs and rejected rows, tokens, the sections table and the monthly counter. */
export class Migration20261122000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table jobs (
        id uuid primary key,
        domain text not null,
        identifier text not null,
        description text not null default '',
        name text not null,
        task_type text not null,
        direction text not null check (direction in ('import', 'export')),
        mode text not null check (mode in ('batch', 'realtime', 'on-demand')),
        rules jsonb not null default '{}',
        source_url text,
        destination_url text,
        scheduling jsonb not null default '{"type":"disabled"}',
        timezone text not null default 'UTC',
        active boolean not null default true,
        recipients text[] not null default '{}',
        send_report boolean not null default false,
        setup_status text not null default 'ready',
        logs_read_up_to bigint not null default 0,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (domain, identifier)
      )`);
    this.addSql(`
      create table runs (
        id bigserial primary key,
        job_id uuid not null references jobs (id) on delete cascade,
        domain text not null,
        number integer not null,
        workflow_id text not null,
        trigger text not null,
        attempt integer not null default 1,
        status text not null,
        read integer not null default 0,
        inserted integer not null default 0,
        updated integer not null default 0,
        unchanged integer not null default 0,
        deleted integer not null default 0,
        skipped integer not null default 0,
        warnings integer not null default 0,
        rejected integer not null default 0,
        warnings_by_kind jsonb not null default '{}',
        failed_pct double precision not null default 0,
        reason text,
        started_at timestamptz not null default now(),
        ended_at timestamptz,
        source_files jsonb not null default '[]',
        processed_at timestamptz,
        committed_at timestamptz,
        unique (job_id, number)
      )`);
    this.addSql('create index runs_domain_status on runs (domain, status)');
    this.addSql(`
      create table run_logs (
        id bigserial primary key,
        run_id bigint not null references runs (id) on delete cascade,
        at timestamptz not null default now(),
        level text not null,
        message text not null
      )`);
    this.addSql('create index run_logs_run on run_logs (run_id, id)');
    this.addSql(`
      create table rejected_rows (
        id bigserial primary key,
        run_id bigint not null references runs (id) on delete cascade,
        line integer not null,
        column_name text,
        reason text not null,
        raw text not null
      )`);
    this.addSql('create index rejected_rows_run on rejected_rows (run_id, line)');
    this.addSql(`
      create table api_tokens (
        id uuid primary key,
        name text not null,
        token_hash text not null unique,
        role text not null check (role in ('system_admin', 'domain_admin', 'read_only')),
        domain text,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      )`);
    this.addSql(`
      create table sections (
        domain text not null,
        section_id text not null,
        course_code text not null,
        section_number text,
        title text,
        instructor text,
        term text,
        campus text,
        status text not null default 'active',
        meeting_days text,
        start_time text,
        end_time text,
        room text,
        capacity integer,
        enrolled integer,
        last_run_id bigint,
        updated_at timestamptz not null default now(),
        primary key (domain, section_id)
      )`);
    this.addSql(`
      create table monthly_usage (
        domain text not null,
        month date not null,
        rows bigint not null default 0,
        primary key (domain, month)
      )`);
    // Per-run staging tables live here, apart from the data they are loaded into.
    this.addSql('create schema if not exists staging');
  }
}
