import { Migration } from '@mikro-orm/migrations';
import { changeCaptureSql } from '../../taskTypes/changeCapture';
import { sectionsCsv } from '../../taskTypes/sectionsCsv';

/**
 * The sections change capture, written by hand in …_exportsRealtimeOutboxStatements.ts and
 * …_exportsOutboxStartAndPrune.ts, replaced by the one generated from the task type
 * (taskTypes/changeCapture.ts), so every realtime task type gets the same. Same tables, same
 * records, same locks, same ids: the recorded row is built from the type's fields instead of
 * the whole row less domain, last_run_id and updated_at, which for sections are the same
 * columns. The start-point trigger on jobs, `export_cursor_start`, becomes
 * `sections_outbox_cursor_start` (one per realtime type).
 */
export class Migration20261202120000_generatedChangeCapture extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop trigger if exists export_cursor_start on jobs');
    this.addSql('drop function if exists export_cursor_start()');
    for (const sql of changeCaptureSql(sectionsCsv)) this.addSql(sql);
  }
}
