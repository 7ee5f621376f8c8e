import { z } from 'zod';
import type { ParsedRow, TaskType } from './taskType';

/** usersCsv: people (students, instructors, staff) keyed by their user id, imported and exported. */

const optionalText = z.string().trim().transform((v) => (v === '' ? null : v));
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ROLES = ['student', 'instructor', 'staff', 'admin'];

export const userRow = z.object({
  user_id: z.string().trim().min(1, 'user_id is required'),
  email: z.string().trim().toLowerCase().min(1, 'email is required').refine((v) => EMAIL.test(v), 'is not an email address'),
  first_name: optionalText,
  last_name: optionalText,
  role: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) => (v === '' ? 'student' : v))
    .refine((v) => ROLES.includes(v), `must be one of ${ROLES.join(', ')}`),
  department: optionalText,
  active: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['', 'true', 'false', 'yes', 'no', 'y', 'n', '1', '0'].includes(v), 'must be true or false (or yes/no, 1/0)')
    .transform((v) => (v === '' || ['true', 'yes', 'y', '1'].includes(v) ? 'true' : 'false')),
});

const ACTIVE = ['', 'true', 'false', 'yes', 'no', 'y', 'n', '1', '0'];
const TRUE = ['true', 'yes', 'y', '1'];
const ROLE_MESSAGE = `must be one of ${ROLES.join(', ')}`;

/** userRow's rules by hand, in its field order, for the hot loop (test/import/rowParsers.test.ts holds them equal). */
function parseUser(v: Record<string, string>): ParsedRow {
  const user_id = (v.user_id ?? '').trim();
  if (!user_id) return { ok: false, column: 'user_id', message: 'user_id is required' };
  const email = (v.email ?? '').trim().toLowerCase();
  if (!email) return { ok: false, column: 'email', message: 'email is required' };
  if (!EMAIL.test(email)) return { ok: false, column: 'email', message: 'is not an email address' };
  const first_name = (v.first_name ?? '').trim() || null;
  const last_name = (v.last_name ?? '').trim() || null;
  const role = (v.role ?? '').trim().toLowerCase() || 'student';
  if (!ROLES.includes(role)) return { ok: false, column: 'role', message: ROLE_MESSAGE };
  const department = (v.department ?? '').trim() || null;
  const active = (v.active ?? '').trim().toLowerCase();
  if (!ACTIVE.includes(active)) return { ok: false, column: 'active', message: 'must be true or false (or yes/no, 1/0)' };
  return { ok: true, row: { user_id, email, first_name, last_name, role, department, active: active === '' || TRUE.includes(active) ? 'true' : 'false' } };
}

export const usersCsv: TaskType = {
  name: 'usersCsv',
  description: 'People (students, instructors, staff) with their email, role and department.',
  directions: ['import', 'export'],
  format: 'csv',
  fields: [
    { name: 'user_id', column: 'user_id', aliases: ['id', 'user', 'userid', 'login', 'username', 'person id'] },
    { name: 'email', column: 'email', aliases: ['e-mail', 'email address', 'mail'] },
    { name: 'first_name', column: 'first_name', aliases: ['first', 'given name', 'firstname', 'forename'] },
    { name: 'last_name', column: 'last_name', aliases: ['last', 'surname', 'family name', 'lastname'] },
    { name: 'role', column: 'role', aliases: ['type', 'user type', 'user role'] },
    { name: 'department', column: 'department', aliases: ['dept', 'division', 'faculty'] },
    { name: 'active', column: 'active', sqlType: 'boolean', aliases: ['enabled', 'is active', 'status'] },
  ],
  key: 'user_id',
  table: 'users',
  rowSchema: userRow as unknown as TaskType['rowSchema'],
  parseRow: parseUser,
  // People have no campus or term: a users export is the domain's whole table.
  export: { fileStem: 'users' },
  defaultTiming: { kind: 'calendar', days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], times: ['05:00'] },
};
