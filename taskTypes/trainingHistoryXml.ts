import { z } from 'zod';
import type { TaskType } from './taskType';

/**
 * trainingHistoryXml: course completions from a learning platform, as XML
 * (`<completion id="...">` elements with one child element per field), imported and exported.
 */

const optionalText = z.string().trim().transform((v) => (v === '' ? null : v));
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const trainingRow = z.object({
  record_id: z.string().trim().min(1, 'record_id (the id attribute) is required'),
  user_id: z.string().trim().min(1, 'user_id is required'),
  course_code: z.string().trim().min(1, 'course_code is required'),
  completed_on: z
    .string()
    .trim()
    .refine((v) => DATE.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString().startsWith(v), 'must be a date written YYYY-MM-DD'),
  score: z
    .string()
    .trim()
    .refine((v) => v === '' || (/^\d{1,3}$/.test(v) && Number(v) <= 100), 'must be a whole number from 0 to 100')
    .transform((v) => (v === '' ? null : Number(v))),
  status: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) => (v === '' ? 'passed' : v))
    .refine((v) => ['passed', 'failed', 'incomplete'].includes(v), 'must be passed, failed or incomplete'),
  title: optionalText,
});

export const trainingHistoryXml: TaskType = {
  name: 'trainingHistoryXml',
  description: 'Training completions (who finished which course, when, with what score), from XML.',
  directions: ['import', 'export'],
  format: 'xml',
  xmlRecord: 'completion',
  fields: [
    { name: 'record_id', column: 'record_id', aliases: ['id', 'completion id'] },
    { name: 'user_id', column: 'user_id', aliases: ['user', 'learner', 'userid'] },
    { name: 'course_code', column: 'course_code', aliases: ['course', 'courseid', 'course id'] },
    { name: 'completed_on', column: 'completed_on', sqlType: 'date', aliases: ['completed', 'completion date', 'date'] },
    { name: 'score', column: 'score', sqlType: 'integer', aliases: ['grade', 'result'] },
    { name: 'status', column: 'status', aliases: ['outcome', 'state'] },
    { name: 'title', column: 'title', aliases: ['course title', 'name'] },
  ],
  key: 'record_id',
  table: 'training_history',
  rowSchema: trainingRow as unknown as TaskType['rowSchema'],
  // The import side's document shape: <trainingHistory><completion id="..."><user_id>…
  export: { fileStem: 'training-history', xml: { root: 'trainingHistory', keyAttribute: 'id' } },
  defaultTiming: { kind: 'calendar', days: ['SUNDAY'], times: ['02:00'] },
};
