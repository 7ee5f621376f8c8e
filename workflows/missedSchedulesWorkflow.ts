import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { reconcileMissedSchedules } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10s', maximumAttempts: 5 },
});

/**
 * The missed-schedule reconciler (README, Missed schedules), started by the
 * `system-missed-schedules` schedule every MISSED_SCHEDULES_CHECK_INTERVAL: every job with a
 * schedule in turn, a slice of jobs per activity, each looked at since its last look only.
 * Returns how many jobs were looked at and how many missed times were recorded.
 */
export async function missedSchedulesWorkflow(): Promise<{ jobs: number; recorded: number }> {
  const total = { jobs: 0, recorded: 0 };
  let after: string | undefined;
  do {
    const slice = await reconcileMissedSchedules.executeWithOptions({ summary: 'look for missed scheduled times' }, [after]);
    total.jobs += slice.jobs;
    total.recorded += slice.recorded;
    after = slice.next;
  } while (after);
  return total;
}
