import { z } from 'zod';
import { findTaskType, getTaskType, taskTypeNames } from '../../taskTypes/registry';
import { outboxOf, type Outbox } from '../../taskTypes/changeCapture';
import type { ExportFacts, FieldSpec, TaskType } from '../../taskTypes/taskType';

/**
 * What an export needs from a task type, all of it the task type's own: its export facts
 * (file stem, realtime, XML shape), its filters as rule → column, its fields (the columns,
 * in order) and its table (the rows, for the job's domain, in key order).
 */
export interface ExportDescriptor extends ExportFacts {
  /** Job rule name → column it filters on (a row is kept if its value is one of the rule's). */
  filters: Record<string, string>;
}

/** The rules an export job reads; the rest of a job's rules (import settings) are ignored. */
export const exportRulesSchema = z.object({
  campuses: z.array(z.string().max(200)).max(1000).optional(),
  terms: z.array(z.string().max(200)).max(1000).optional(),
});
export type ExportRules = z.infer<typeof exportRulesSchema>;

export interface ExportSpec {
  taskType: TaskType;
  descriptor: ExportDescriptor;
  fields: readonly FieldSpec[];
}

export function exportSpecOf(taskTypeName: string): ExportSpec | undefined {
  const taskType = findTaskType(taskTypeName);
  const facts = taskType?.export;
  if (!taskType || !facts || !taskType.directions.includes('export')) return undefined;
  if (taskType.format === 'xml' && !(facts.xml && taskType.xmlRecord)) return undefined;
  const columnOf = (field: string) => taskType.fields.find((f) => f.name === field)?.column;
  const filters = Object.fromEntries(Object.entries(taskType.filters ?? {}).flatMap(([rule, field]) => {
    const column = columnOf(field);
    return column ? [[rule, column]] : [];
  }));
  return { taskType, descriptor: { ...facts, filters }, fields: taskType.fields };
}

export const exportableTaskTypes = (): string[] => taskTypeNames().filter((n) => exportSpecOf(n));

/** The outboxes of every task type whose changes are recorded for realtime exports. */
export const realtimeOutboxes = (): Outbox[] => exportableTaskTypes().map(getTaskType).filter((t) => t.export?.realtime).map(outboxOf);
