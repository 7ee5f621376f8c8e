import { Migration } from '@mikro-orm/migrations';
import { changeCaptureSql, outboxTablesSql } from '../../taskTypes/changeCapture';
import { courseCsv } from '../../taskTypes/courseCsv';

/** The courseCsv task type's target table, keyed by (domain, course code), and its change capture for realtime exports. */
export class Migration20261202120100_courses extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table courses (
        domain text not null,
        course_code text not null,
        title text not null,
        subject text,
        course_number text,
        description text,
        department text,
        credits integer,
        campus text,
        term text,
        status text not null default 'active',
        last_run_id bigint,
        updated_at timestamptz not null default now(),
        primary key (domain, course_code)
      )`);
    for (const sql of [...outboxTablesSql(courseCsv), ...changeCaptureSql(courseCsv)]) this.addSql(sql);
  }
}
