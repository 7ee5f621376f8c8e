import type { ActivityDeps } from './deps';
import { exportActivities } from './export/exportPhases';
import { importActivities } from './import/importPhases';
import { notificationActivities } from './notifications';
import { runRecordActivities } from './runRecords';
import { scheduleActivities } from './schedules';
import { sourceWatchActivities } from './sourceWatch';

export type { ActivityDeps, RunRef } from './deps';

/** Every activity, bound to its dependencies (the worker passes the result to Temporal). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...runRecordActivities(deps),
    ...importActivities(deps),
    ...exportActivities(deps),
    ...scheduleActivities(deps),
    ...sourceWatchActivities(deps),
    ...notificationActivities(deps),
  };
}
