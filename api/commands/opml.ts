import { SaxesParser } from 'saxes';
import { z } from 'zod';
import type { Job } from '../../db/entities';
import type { Scheduling } from '../../domain/schedule';
import { schedulingSchema } from '../http/schemas';

/**
 * A domain's schedules as OPML (seed 002): one outline per job, its scheduling in
 * attributes a person can read and edit. Importing it back changes only scheduling,
 * timezone and the active flag.
 */

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function timingAttributes(s: Scheduling): Record<string, string> {
  if (s.type !== 'scheduled') return { schedulingType: s.type };
  const out: Record<string, string> = { schedulingType: 'scheduled' };
  // A fixed order (PostgreSQL's jsonb does not keep the one the job was written with).
  const order = ['kind', 'days', 'times', 'everyMinutes', 'everySeconds', 'expression', 'timezone'];
  const entries = Object.entries(s.timing).sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    const name = k === 'kind' ? 'timingKind' : k === 'timezone' ? 'timingTimezone' : k;
    out[name] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}

export function schedulesToOpml(domain: string, jobs: Job[], now = new Date()): string {
  const outlines = jobs.map((j) => {
    const attrs: Record<string, string> = {
      text: j.name, jobId: j.identifier, taskType: j.taskType, direction: j.direction, mode: j.mode,
      ...timingAttributes(j.scheduling), timezone: j.timezone, active: String(j.active),
    };
    return `    <outline ${Object.entries(attrs).map(([k, v]) => `${k}="${esc(v)}"`).join(' ')}/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<opml version="2.0">',
    '  <head>',
    `    <title>Schedules of ${esc(domain)}</title>`,
    `    <dateCreated>${now.toUTCString()}</dateCreated>`,
    '  </head>',
    '  <body>',
    ...outlines,
    '  </body>',
    '</opml>',
    '',
  ].join('\n');
}

export interface ScheduleLine {
  line: number;
  jobId: string;
  scheduling: Scheduling;
  timezone?: string;
  active?: boolean;
}

export class OpmlError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const NUMERIC = new Set(['everyMinutes', 'everySeconds']);
const LISTS = new Set(['days', 'times']);
const OUTLINE_ATTRS = new Set(['jobId', 'schedulingType', 'timingKind', 'timingTimezone', 'timezone', 'active', 'days', 'times', 'everyMinutes', 'everySeconds', 'expression']);

function outlineToSchedule(line: number, a: Record<string, string>): ScheduleLine {
  const timing: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (k === 'timingKind') timing.kind = v;
    else if (k === 'timingTimezone') timing.timezone = v;
    else if (NUMERIC.has(k)) timing[k] = /^\d+$/.test(v) ? Number(v) : v;
    else if (LISTS.has(k)) timing[k] = v.split(',').map((x) => x.trim()).filter(Boolean);
    else if (k === 'expression') timing[k] = v;
  }
  const raw = a.schedulingType === 'scheduled' ? { type: 'scheduled', timing } : { type: a.schedulingType };
  const parsed = schedulingSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'schedulingType'}: ${i.message}`).join('; ');
    throw new OpmlError(line, `job "${a.jobId}": ${why}`);
  }
  if (a.schedulingType !== 'scheduled' && Object.keys(timing).length) {
    throw new OpmlError(line, `job "${a.jobId}": timing attributes need schedulingType="scheduled"`);
  }
  if (a.active !== undefined && a.active !== 'true' && a.active !== 'false') throw new OpmlError(line, `job "${a.jobId}": active is true or false`);
  const tz = a.timezone;
  if (tz !== undefined && !z.string().min(1).max(64).safeParse(tz).success) throw new OpmlError(line, `job "${a.jobId}": timezone is a time zone name`);
  return { line, jobId: a.jobId!, scheduling: parsed.data as Scheduling, timezone: tz, active: a.active === undefined ? undefined : a.active === 'true' };
}

/** The schedules in an OPML document; a malformed document or outline throws OpmlError with its line. */
export function parseSchedulesOpml(text: string): ScheduleLine[] {
  const parser = new SaxesParser({ position: true });
  const out: ScheduleLine[] = [];
  const stack: string[] = [];
  const seen = new Map<string, number>();
  let sawBody = false;
  parser.on('opentag', (node) => {
    const parent = stack[stack.length - 1];
    stack.push(node.name);
    const line = parser.line;
    if (stack.length === 1 && node.name !== 'opml') throw new OpmlError(line, `the root element is <${node.name}>, expected <opml>`);
    if (node.name === 'body' && parent === 'opml') sawBody = true;
    if (node.name !== 'outline') return;
    if (!stack.includes('body')) throw new OpmlError(line, '<outline> outside <body>');
    const a = node.attributes as Record<string, string>;
    // Outlines without a jobId are folders or notes a person added; they carry no schedule.
    if (a.jobId === undefined) {
      if (Object.keys(a).some((k) => OUTLINE_ATTRS.has(k))) throw new OpmlError(line, 'an outline with schedule attributes needs a jobId');
      return;
    }
    if (!a.schedulingType) throw new OpmlError(line, `job "${a.jobId}": schedulingType is missing (automatic, disabled or scheduled)`);
    if (seen.has(a.jobId)) throw new OpmlError(line, `job "${a.jobId}" appears twice (first on line ${seen.get(a.jobId)})`);
    seen.set(a.jobId, line);
    out.push(outlineToSchedule(line, a));
  });
  parser.on('closetag', () => void stack.pop());
  try {
    parser.write(text).close();
  } catch (e) {
    if (e instanceof OpmlError) throw e;
    // saxes prefixes its messages with line:column; keep the words, report our own line.
    throw new OpmlError(parser.line, (e as Error).message.replace(/^\d+:\d+: /, ''));
  }
  if (!sawBody) throw new OpmlError(parser.line, 'the document has no <opml><body>');
  return out;
}
