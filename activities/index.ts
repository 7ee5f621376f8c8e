import type { ActivityDeps } from './deps';
import { reportingJobFailures } from './failures';
import { exportActivities } from './exportPhases';
import { importActivities } from './importPhases';
import { missedScheduleActivities } from './missedSchedules';
import { notificationActivities } from './notifications';
import { retentionActivities } from './retention';
import { runRecordActivities } from './runRecords';
import { runPhaseActivities } from './runPhases';
import { scheduleActivities } from './schedules';
import { sourceWatchActivities } from './sourceWatch';

export type { ActivityDeps } from './deps';
export type { RunRef } from '../contracts/workflowIds';

/** Every activity, bound to its dependencies (the worker passes the result to Temporal). */
export function createActivities(deps: ActivityDeps) {
  const records = runRecordActivities(deps);
  const imports = importActivities(deps);
  const exports = exportActivities(deps);
  return reportingJobFailures({
    ...records,
    ...imports,
    ...exports,
    ...runPhaseActivities({ pool: deps.pool, records, imports, exports }),
    ...scheduleActivities(deps),
    ...sourceWatchActivities(deps),
    ...notificationActivities(deps),
    ...retentionActivities(deps),
    ...missedScheduleActivities(deps),
  });
}
