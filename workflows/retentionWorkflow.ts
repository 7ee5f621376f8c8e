import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { RETENTION_KINDS, type RetentionKind } from '../domain/retention';

const { applyRetention } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10s', maximumAttempts: 5 },
});

/**
 * The system job that keeps run history bounded (README, Retention), started daily by the
 * `system-retention` schedule: each kind of row in turn, in slices of batches, until nothing
 * old is left. Returns how many rows of each kind went.
 */
export async function retentionWorkflow(): Promise<Record<RetentionKind, number>> {
  const deleted = Object.fromEntries(RETENTION_KINDS.map((k) => [k, 0])) as Record<RetentionKind, number>;
  for (const kind of RETENTION_KINDS) {
    for (let more = true; more; ) {
      const slice = await applyRetention.executeWithOptions({ summary: `delete old ${kind.replace('_', ' ')}` }, [kind]);
      deleted[kind] += slice.deleted;
      more = slice.more;
    }
  }
  return deleted;
}
