import { Migration } from '@mikro-orm/migrations';

/** Target tables of the usersCsv and trainingHistoryXml task types, keyed by (domain, natural key). */
export class Migration20261122010100_usersAndTraining extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table users (
        domain text not null,
        user_id text not null,
        email text not null,
        first_name text,
        last_name text,
        role text not null default 'student',
        department text,
        active boolean not null default true,
        last_run_id bigint,
        updated_at timestamptz not null default now(),
        primary key (domain, user_id)
      )`);
    this.addSql(`
      create table training_history (
        domain text not null,
        record_id text not null,
        user_id text not null,
        course_code text not null,
        completed_on date not null,
        score integer,
        status text not null default 'passed',
        title text,
        last_run_id bigint,
        updated_at timestamptz not null default now(),
        primary key (domain, record_id)
      )`);
    this.addSql('create index training_history_user on training_history (domain, user_id)');
  }
}
