import { z } from 'zod';
import type { ParsedRow, TaskType } from './taskType';

/**
 * sectionsCsv: PRODUCT.md's reference format, for imports and exports alike.
 * Columns by header name in any order; sampling maps other names onto these.
 */

const optionalText = z.string().trim().transform((v) => (v === '' ? null : v));
const requiredText = (what: string) => z.string().trim().min(1, `${what} is required`);
const wholeNumber = z
  .string()
  .trim()
  .refine((v) => v === '' || /^\d+$/.test(v), 'must be a whole number, 0 or more')
  .transform((v) => (v === '' ? null : Number(v)))
  .refine((v) => v === null || v <= 2_147_483_647, 'is too large');

export const sectionRow = z.object({
  section_id: requiredText('section_id'),
  course_code: requiredText('course_code'),
  section_number: optionalText,
  title: optionalText,
  instructor: optionalText,
  term: optionalText,
  campus: optionalText,
  status: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) => (v === '' ? 'active' : v))
    .refine((v) => v === 'active' || v === 'canceled', 'must be "active" or "canceled"'),
  meeting_days: optionalText,
  start_time: optionalText,
  end_time: optionalText,
  room: optionalText,
  capacity: wholeNumber,
  enrolled: wholeNumber,
});

const DAYS = /^[MTWRFSU]*$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** An invalid meeting pattern is imported without its meeting (PRODUCT.md, Warnings). */
function meetingWarnings(row: Record<string, string | number | null>): string[] {
  const days = (row.meeting_days as string | null) ?? '';
  const start = row.start_time as string | null;
  const end = row.end_time as string | null;
  if (!days && !start && !end) return [];
  const valid =
    DAYS.test(days) &&
    new Set(days).size === days.length &&
    !!start === !!end &&
    (!start || (TIME.test(start) && TIME.test(end!) && end! > start));
  if (valid) return [];
  row.meeting_days = null;
  row.start_time = null;
  row.end_time = null;
  return ['invalid_meeting_pattern'];
}

const OPTIONAL = ['section_number', 'title', 'instructor', 'term', 'campus'] as const;
const MEETING = ['meeting_days', 'start_time', 'end_time', 'room'] as const;
const DIGITS = /^\d+$/;

function whole(v: string): number | null | string {
  const t = v.trim();
  if (t === '') return null;
  if (!DIGITS.test(t)) return 'must be a whole number, 0 or more';
  const n = Number(t);
  return n <= 2_147_483_647 ? n : 'is too large';
}

/** sectionRow's rules by hand, in its field order, for the hot loop (test/import/rowParsers.test.ts holds them equal). */
function parseSection(v: Record<string, string>): ParsedRow {
  const section_id = (v.section_id ?? '').trim();
  if (!section_id) return { ok: false, column: 'section_id', message: 'section_id is required' };
  const course_code = (v.course_code ?? '').trim();
  if (!course_code) return { ok: false, column: 'course_code', message: 'course_code is required' };
  const row: Record<string, string | number | null> = { section_id, course_code };
  for (const f of OPTIONAL) row[f] = (v[f] ?? '').trim() || null;
  const status = (v.status ?? '').trim().toLowerCase() || 'active';
  if (status !== 'active' && status !== 'canceled') return { ok: false, column: 'status', message: 'must be "active" or "canceled"' };
  row.status = status;
  for (const f of MEETING) row[f] = (v[f] ?? '').trim() || null;
  for (const f of ['capacity', 'enrolled'] as const) {
    const n = whole(v[f] ?? '');
    if (typeof n === 'string') return { ok: false, column: f, message: n };
    row[f] = n;
  }
  return { ok: true, row };
}

export const sectionsCsv: TaskType = {
  name: 'sectionsCsv',
  description: 'Class sections with their meeting pattern and room (reference format).',
  directions: ['import', 'export'],
  format: 'csv',
  fields: [
    { name: 'section_id', column: 'section_id', aliases: ['id', 'section', 'section id', 'sectionid', 'section_key'] },
    { name: 'course_code', column: 'course_code', aliases: ['course', 'course id', 'coursecode', 'course_id'] },
    { name: 'section_number', column: 'section_number', aliases: ['number', 'section no', 'sectionnumber'] },
    { name: 'title', column: 'title', aliases: ['name', 'course title', 'section title'] },
    { name: 'instructor', column: 'instructor', aliases: ['teacher', 'professor', 'faculty'] },
    { name: 'term', column: 'term', aliases: ['semester', 'session', 'term code'] },
    { name: 'campus', column: 'campus', aliases: ['site', 'location', 'campus code'] },
    { name: 'status', column: 'status', aliases: ['state', 'section status'] },
    { name: 'meeting_days', column: 'meeting_days', aliases: ['days', 'meeting days', 'day pattern'] },
    { name: 'start_time', column: 'start_time', aliases: ['start', 'begin', 'start time', 'begin time'] },
    { name: 'end_time', column: 'end_time', aliases: ['end', 'finish', 'end time'] },
    { name: 'room', column: 'room', aliases: ['room code', 'location code', 'room id'] },
    { name: 'capacity', column: 'capacity', sqlType: 'integer', aliases: ['max enrollment', 'seats', 'cap'] },
    { name: 'enrolled', column: 'enrolled', sqlType: 'integer', aliases: ['enrollment', 'enrolment', 'registered'] },
  ],
  key: 'section_id',
  table: 'sections',
  rowSchema: sectionRow as unknown as TaskType['rowSchema'],
  parseRow: parseSection,
  rowWarnings: meetingWarnings,
  processSql: [
    {
      // Canceled sections are not imported and existing ones are deleted: seed 000's
      // defaults, and two settings of the job (importCanceled, deleteCanceled).
      warning: 'canceled_section',
      settings: ['importCanceled', 'deleteCanceled'],
      sql: `update {staging} s set warnings = array_append(s.warnings, 'canceled_section'),
              action = case
                when coalesce(({rules} ->> 'importCanceled')::boolean, false) then 'upsert'
                when coalesce(({rules} ->> 'deleteCanceled')::boolean, true) then 'delete'
                else 'skip' end
            where s.status = 'canceled' and s.action = 'upsert'`,
      mayTouch: (row) => row.status === 'canceled',
      firstLoad: (row, action, rules) => {
        if (row.status !== 'canceled' || action !== 'upsert') return { action, warn: false };
        return { action: rules.importCanceled ? 'upsert' : rules.deleteCanceled ? 'delete' : 'skip', warn: true };
      },
    },
    {
      // A section that had a room and arrives without one.
      warning: 'dropped_room',
      sql: `update {staging} s set warnings = array_append(s.warnings, 'dropped_room')
            from {target} t
            where t.domain = {domain} and t.section_id = s.section_id and t.room is not null
              and s.room is null and s.action = 'upsert'`,
      mayTouch: (row) => row.room === null,
      // No section of the domain had a room before its first load.
      firstLoad: (_row, action) => ({ action, warn: false }),
    },
  ],
  filters: { campuses: 'campus', terms: 'term' },
  export: { fileStem: 'sections', realtime: true },
  defaultTiming: { kind: 'calendar', days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], times: ['06:00'] },
};
