import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { Config } from '../infra/config';

type RetentionSetting = 'RUN_RETENTION_DAYS' | 'LOG_RETENTION_DAYS' | 'REJECTED_ROWS_RETENTION_DAYS' | 'RETENTION_KEEP_RUNS' | 'RETENTION_BATCH_ROWS';

/** What activities need from the outside world; the worker builds it once. */
export interface ActivityDeps {
  orm: MikroORM;
  /** Raw connections for COPY and set-based SQL. */
  pool: pg.Pool;
  temporal: Client;
  config: Pick<Config, 'fileRoots' | 'MONTHLY_ROW_LIMIT' | 'TEMPORAL_TASK_QUEUE' | RetentionSetting> &
    Partial<Pick<Config, 'fileAreas' | 'SMTP_URL' | 'MAIL_FROM' | 'PUBLIC_API_URL' | 'TEMPORAL_WEB_URL'>>;
}
