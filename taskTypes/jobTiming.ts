import type { Job } from '../db/entities';
import { effectiveTiming, type Timing } from '../domain/schedule';
import { findTaskType } from './registry';

/** The timing a Temporal Schedule runs the job on, or undefined when it has none (on-demand or disabled). */
export function scheduleTimingOf(job: Pick<Job, 'mode' | 'taskType' | 'scheduling'>): Timing | undefined {
  const taskType = findTaskType(job.taskType);
  return job.mode !== 'on-demand' && taskType ? effectiveTiming(job.scheduling, taskType.defaultTiming) : undefined;
}

/** Whether the job has a Temporal Schedule (what its workflow is told as `hasSchedule`). */
export const hasSchedule = (job: Pick<Job, 'mode' | 'taskType' | 'scheduling'>): boolean => !!scheduleTimingOf(job);
