import { EntitySchema } from '@mikro-orm/core';

/** A class section: the target of sectionsCsv imports and the source of its exports. */
export interface Section {
  domain: string;
  sectionId: string;
  courseCode: string;
  sectionNumber?: string | null;
  title?: string | null;
  instructor?: string | null;
  term?: string | null;
  campus?: string | null;
  status: 'active' | 'canceled';
  meetingDays?: string | null;
  startTime?: string | null;
  endTime?: string | null;
  room?: string | null;
  capacity?: number | null;
  enrolled?: number | null;
  lastRunId?: string | null;
  updatedAt: Date;
}

const text = { type: 'text', nullable: true } as const;

export const SectionSchema = new EntitySchema<Section>({
  name: 'Section',
  tableName: 'sections',
  properties: {
    domain: { type: 'text', primary: true },
    sectionId: { type: 'text', primary: true },
    courseCode: { type: 'text' },
    sectionNumber: text, title: text, instructor: text, term: text, campus: text,
    status: { type: 'text' },
    meetingDays: text, startTime: text, endTime: text, room: text,
    capacity: { type: 'integer', nullable: true },
    enrolled: { type: 'integer', nullable: true },
    lastRunId: { type: 'bigint', nullable: true },
    updatedAt: { type: 'Date' },
  },
});
