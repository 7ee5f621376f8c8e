import type { ActivityDeps } from './deps';
import { reportingJobFailures } from './failures';
import { exportActivities } from './exportPhases';
import { importActivities } from './importPhases';
import { missedScheduleActivities } from './missedSchedules';
import { notificationActivities } from './notifications';
import { retentionActivities } from './retention';
import { runRecordActivities } from './runRecords';
import { runPhaseActivities } from './runPhases';
import { runSlotActivities } from './runSlot';
import { scheduleActivities } from './schedules';
import { sourceWatchActivities } from './sourceWatch';

export type { ActivityDeps } from './deps';
export type { RunRef } from '../contracts/workflowIds';

/** Every activity, bound to its dependencies (the worker passes the result to Temporal). */
export function createActivities(deps: ActivityDeps) {
  const records = runRecordActivities(deps);
  const imports = importActivities(deps);
  const exports = exportActivities(deps);
  const phases = runPhaseActivities({ pool: deps.pool, records, imports, exports });
  const notifications = notificationActivities(deps);
  return reportingJobFailures({
    ...records,
    ...imports,
    ...exports,
    ...phases,
    ...runSlotActivities({ deps, records, phases, notifications }),
    ...scheduleActivities(deps),
    ...sourceWatchActivities(deps),
    ...notifications,
    ...retentionActivities(deps),
    ...missedScheduleActivities(deps),
  });
}
