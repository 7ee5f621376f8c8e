import { heartbeat } from '@temporalio/activity';
import { batchSizeOf, type RetentionKind, type RetentionPolicy } from '../domain/retention';
import { retentionDeleted } from '../infra/metrics';
import { deleteBatch } from '../io/retention';
import type { ActivityDeps } from './deps';

/** How long one activity deletes before handing back to the workflow (which calls it again). */
const SLICE_MS = 30_000;

export function retentionActivities({ pool, config }: ActivityDeps) {
  const policy: RetentionPolicy = {
    runDays: config.RUN_RETENTION_DAYS,
    logDays: config.LOG_RETENTION_DAYS,
    rejectedDays: config.REJECTED_ROWS_RETENTION_DAYS,
    keepRuns: config.RETENTION_KEEP_RUNS,
    batchRows: config.RETENTION_BATCH_ROWS,
  };
  return {
    /** Deletes old rows of `kind`, batch after batch, for up to half a minute; `more`: call again. */
    async applyRetention(kind: RetentionKind): Promise<{ deleted: number; more: boolean }> {
      const started = Date.now();
      let deleted = 0;
      for (;;) {
        const n = await deleteBatch(pool, kind, policy);
        deleted += n;
        retentionDeleted.inc({ kind }, n);
        heartbeat({ kind, deleted });
        if (n < batchSizeOf(kind, policy)) return { deleted, more: false };
        if (Date.now() - started > SLICE_MS) return { deleted, more: true };
      }
    },
  };
}
