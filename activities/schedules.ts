import type { ActivityDeps } from './deps';
import { setSchedulePaused } from '../temporal/schedules';

/** Keeps a job's Temporal Schedule paused while the job is paused or halted, and reports its next run. */
export function scheduleActivities({ temporal }: ActivityDeps) {
  return {
    syncSchedule: (input: { domain: string; jobId: string; pausedNote?: string }): Promise<{ nextRunAt?: string }> =>
      setSchedulePaused(temporal, input.domain, input.jobId, input.pausedNote),
  };
}
