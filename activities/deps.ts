import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { Config } from '../infra/config';

/**
 * The settings activities use, all required: the worker passes its loadConfig() result, a test
 * the config it built, and a caller that leaves one out (the file roots, say) does not compile.
 * Read at each call, never copied at module load.
 */
export type ActivityConfig = Pick<Config,
  | 'fileRoots' | 'fileAreas' | 'FILE_READ_STALL_TIMEOUT' | 'IMPORT_CHUNK_ROWS' | 'MONTHLY_ROW_LIMIT' | 'TEMPORAL_TASK_QUEUE'
  | 'exportWorkDir' | 'exportAllowedHosts' | 'EXPORT_CA_FILE' | 'EXPORT_HTTP_TIMEOUT_MS' | 'EXPORT_FTP_TIMEOUT_MS' | 'EXPORT_MAX_CHANGES_PER_RUN'
  | 'SECRETS_KEY' | 'SMTP_URL' | 'MAIL_FROM' | 'PUBLIC_API_URL' | 'TEMPORAL_WEB_URL'
  | 'RUN_RETENTION_DAYS' | 'LOG_RETENTION_DAYS' | 'REJECTED_ROWS_RETENTION_DAYS' | 'RETENTION_KEEP_RUNS' | 'RETENTION_BATCH_ROWS'
  | 'SCHEDULE_CATCHUP_WINDOW'>;

/** What activities need from the outside world; the worker builds it once. */
export interface ActivityDeps {
  orm: MikroORM;
  /** Raw connections for COPY and set-based SQL. */
  pool: pg.Pool;
  temporal: Client;
  config: ActivityConfig;
}
