import { z } from 'zod';
import { findTaskType } from '../../taskTypes/registry';
import type { FieldSpec, TaskType } from '../../taskTypes/taskType';

/**
 * What an export needs from a task type beyond the registry's fields: the filters a job's
 * rules may set, keyed by task type name. The columns and their order are the task type's
 * own (`fields`), the rows its target table's, for the job's domain, in key order.
 */
export interface ExportDescriptor {
  /** Job rule name → column it filters on (a row is kept if its value is one of the rule's). */
  filters: Record<string, string>;
  /** The file name a directory destination gets, without extension. */
  fileStem: string;
  /** Whether changes to the table are recorded in an outbox, so a realtime job can send them. */
  realtime?: boolean;
  /**
   * For an XML task type: the document's root element, and the attribute of each record
   * element (taskType.xmlRecord) that holds the key; the other fields are child elements.
   */
  xml?: { root: string; keyAttribute: string };
}

const DESCRIPTORS: Record<string, ExportDescriptor> = {
  sectionsCsv: { filters: { campuses: 'campus', terms: 'term' }, fileStem: 'sections', realtime: true },
  // People have no campus or term: a users export is the domain's whole table.
  usersCsv: { filters: {}, fileStem: 'users' },
  // The import side's document shape: <trainingHistory><completion id="..."><user_id>…
  trainingHistoryXml: { filters: {}, fileStem: 'training-history', xml: { root: 'trainingHistory', keyAttribute: 'id' } },
};

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
  const descriptor = DESCRIPTORS[taskTypeName];
  if (!taskType || !descriptor || !taskType.directions.includes('export')) return undefined;
  if (taskType.format === 'xml' && !(descriptor.xml && taskType.xmlRecord)) return undefined;
  return { taskType, descriptor, fields: taskType.fields };
}

export const exportableTaskTypes = (): string[] => Object.keys(DESCRIPTORS).filter((n) => exportSpecOf(n));
