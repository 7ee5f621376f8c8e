import { z } from 'zod';
import type { TaskType } from './taskType';

/**
 * courseCsv: the course catalogue (seed 002's task type of that name): one row per course a
 * domain offers, keyed by its course code, the code sections name in their course_code.
 * Imported and exported, in batches and, as the catalogue changes, in realtime.
 */

const optionalText = z.string().trim().transform((v) => (v === '' ? null : v));
const STATUSES = ['active', 'inactive'];

export const courseRow = z.object({
  course_code: z.string().trim().min(1, 'course_code is required'),
  title: z.string().trim().min(1, 'title is required'),
  subject: optionalText,
  course_number: optionalText,
  description: optionalText,
  department: optionalText,
  credits: z
    .string()
    .trim()
    .refine((v) => v === '' || /^\d{1,2}$/.test(v), 'must be a whole number from 0 to 99')
    .transform((v) => (v === '' ? null : Number(v))),
  campus: optionalText,
  term: optionalText,
  status: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) => (v === '' ? 'active' : v))
    .refine((v) => STATUSES.includes(v), 'must be "active" or "inactive"'),
});

export const courseCsv: TaskType = {
  name: 'courseCsv',
  description: 'The course catalogue: code, title, subject, credits, department, campus and term of each course.',
  directions: ['import', 'export'],
  format: 'csv',
  fields: [
    { name: 'course_code', column: 'course_code', aliases: ['course', 'course id', 'coursecode', 'course_id', 'code'] },
    { name: 'title', column: 'title', aliases: ['name', 'course title', 'long title'] },
    { name: 'subject', column: 'subject', aliases: ['subject code', 'subj', 'discipline'] },
    { name: 'course_number', column: 'course_number', aliases: ['number', 'catalog number', 'catalog nbr', 'course no'] },
    { name: 'description', column: 'description', aliases: ['desc', 'course description'] },
    { name: 'department', column: 'department', aliases: ['dept', 'division', 'academic department'] },
    { name: 'credits', column: 'credits', sqlType: 'integer', aliases: ['credit hours', 'units', 'credit'] },
    { name: 'campus', column: 'campus', aliases: ['site', 'location', 'campus code'] },
    { name: 'term', column: 'term', aliases: ['semester', 'session', 'term code', 'effective term'] },
    { name: 'status', column: 'status', aliases: ['state', 'course status'] },
  ],
  key: 'course_code',
  table: 'courses',
  rowSchema: courseRow as unknown as TaskType['rowSchema'],
  processSql: [
    {
      // A course withdrawn from the catalogue while the domain still runs active sections of
      // it: imported as inactive, and said, so someone looks at those sections.
      warning: 'inactive_course_with_sections',
      sql: `update {staging} s set warnings = array_append(s.warnings, 'inactive_course_with_sections')
            where s.status = 'inactive' and s.action = 'upsert'
              and exists (select 1 from sections x where x.domain = {domain} and x.course_code = s.course_code and x.status = 'active')`,
      mayTouch: (row) => row.status === 'inactive',
    },
  ],
  filters: { campuses: 'campus', terms: 'term' },
  export: { fileStem: 'courses', realtime: true },
  // Before the sections import (06:00), so new sections find their course.
  defaultTiming: { kind: 'calendar', days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], times: ['05:30'] },
};
