import type { TaskType } from './taskType';
import { courseCsv } from './courseCsv';
import { sectionsCsv } from './sectionsCsv';
import { trainingHistoryXml } from './trainingHistoryXml';
import { usersCsv } from './usersCsv';

/** Every task type the system knows, by name. */
const TASK_TYPES: readonly TaskType[] = [sectionsCsv, usersCsv, trainingHistoryXml, courseCsv];

const byName = new Map(TASK_TYPES.map((t) => [t.name, t]));

export const taskTypeNames = (): string[] => [...byName.keys()];

/** The task types whose changes are recorded for realtime exports (each has an outbox). */
export const realtimeTaskTypes = (): TaskType[] => TASK_TYPES.filter((t) => t.export?.realtime);

export function findTaskType(name: string): TaskType | undefined {
  return byName.get(name);
}

export function getTaskType(name: string): TaskType {
  const t = byName.get(name);
  if (!t) throw new Error(`Unknown task type "${name}". Known: ${taskTypeNames().join(', ')}`);
  return t;
}
