import type { ActivityDeps } from './deps';
import { pauseKindOfNote } from '../domain/missedSchedule';
import { notePause } from '../io/missedSchedules';
import { setSchedulePaused } from '../temporal/schedules';
import { findJob } from './runRecords';

/**
 * Keeps a job's Temporal Schedule paused while the job is paused or halted, and reports its next
 * run. Each pause is noted with who made it (a person or a halt): the missed-schedule reconciler
 * reads why a paused schedule fired nothing from these intervals.
 */
export function scheduleActivities({ temporal, pool, orm }: ActivityDeps) {
  return {
    async syncSchedule(input: { domain: string; jobId: string; pausedNote?: string }): Promise<{ nextRunAt?: string }> {
      const result = await setSchedulePaused(temporal, input.domain, input.jobId, input.pausedNote);
      const job = await findJob(orm.em.fork(), input.domain, input.jobId);
      await notePause(pool, job.id, input.pausedNote ? { kind: pauseKindOfNote(input.pausedNote), note: input.pausedNote } : undefined);
      return result;
    },
  };
}
