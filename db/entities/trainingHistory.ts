import { EntitySchema } from '@mikro-orm/core';

/** A training completion: the target of trainingHistoryXml imports. */
export interface TrainingRecord {
  domain: string;
  recordId: string;
  userId: string;
  courseCode: string;
  completedOn: string;
  score?: number | null;
  status: string;
  title?: string | null;
  lastRunId?: string | null;
  updatedAt: Date;
}

export const TrainingRecordSchema = new EntitySchema<TrainingRecord>({
  name: 'TrainingRecord',
  tableName: 'training_history',
  properties: {
    domain: { type: 'text', primary: true },
    recordId: { type: 'text', primary: true },
    userId: { type: 'text' },
    courseCode: { type: 'text' },
    completedOn: { type: 'date' },
    score: { type: 'integer', nullable: true },
    status: { type: 'text' },
    title: { type: 'text', nullable: true },
    lastRunId: { type: 'bigint', nullable: true },
    updatedAt: { type: 'Date' },
  },
});
