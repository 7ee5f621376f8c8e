import { z } from 'zod';
import { DIRECTIONS, JOB_MODES } from '../../domain/jobDefinition';
import { JOB_STATUSES } from '../../domain/jobLifecycle';
import { RUN_OUTCOMES } from '../../domain/runStatus';
import { MISSED_REASONS } from '../../domain/missedSchedule';
import { ROLES } from '../../db/entities';
import { JOB_SORTS } from '../queries/jobQueries';
import { JOB_ICONS } from '../queries/display';
import { identifier, schedulingSchema, updateJobBody } from './schemas';

/** Parameters, bodies and responses of the endpoints beyond the first slice (see api/http/schemas.ts). */

const limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);
const offset = z.coerce.number().int().min(0).max(1_000_000).default(0);

const commaList = <T extends readonly string[]>(values: T, what: string) =>
  z
    .string()
    .max(500)
    .refine((v) => v.split(',').every((s) => (values as readonly string[]).includes(s)), `comma-separated ${what}: ${values.join(', ')}`);

export const jobListQuery = z
  .object({
    status: commaList(JOB_STATUSES, 'job statuses').optional(),
    icon: commaList(JOB_ICONS, 'list icons').optional()
      .describe("The list's status icon: running (a run in progress), completed, warnings, failed (or halted), canceled (the last run's outcome), none (never run)."),
    q: z.string().min(1).max(200).optional().describe('Text in the job name or identifier (case-insensitive).'),
    mode: z.enum(JOB_MODES).optional(),
    taskType: z.string().max(100).optional(),
    direction: z.enum(DIRECTIONS).optional(),
    sort: z.enum([...JOB_SORTS, ...JOB_SORTS.map((s) => `-${s}` as const)]).default('id').describe('A field; a leading - sorts descending.'),
    limit: limit(200, 50),
    offset,
  })
  .strict();

export const allJobsQuery = jobListQuery.extend({ domain: identifier.optional().describe('Only this domain (system administrators see every domain).') }).strict();

export const jobListItem = z
  .object({
    id: z.string(),
    domain: z.string(),
    name: z.string(),
    taskType: z.string(),
    direction: z.enum(DIRECTIONS),
    mode: z.enum(JOB_MODES),
    summary: z.string().describe('Direction, task type, source or destination (without credentials) and schedule, in one line.'),
    status: z.string().describe(`One of ${JOB_STATUSES.join(', ')}, or unknown when the job workflow does not answer.`),
    phase: z.string().nullable(),
    active: z.boolean(),
    lastRunAt: z.string().nullable(),
    lastOutcome: z.string().nullable(),
    lastReason: z.string().nullable(),
    nextRunAt: z.string().nullable(),
    unreadLogs: z.boolean(),
    lastRuns: z.array(z.object({ number: z.number().int(), outcome: z.string(), reason: z.string().nullable() })).describe('The last five ended runs, newest first.'),
  })
  .meta({ id: 'JobListItem' });
export const jobList = z.object({ items: z.array(jobListItem), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }).meta({ id: 'JobList' });

export const jobDetail = z
  .object({
    id: z.string(), domain: z.string(), name: z.string(), description: z.string(), taskType: z.string(),
    direction: z.enum(DIRECTIONS), mode: z.enum(JOB_MODES), status: z.string(), active: z.boolean(),
    sourceUrl: z.string().nullable(), destinationUrl: z.string().nullable(), unreadLogs: z.boolean(),
    samplingProblems: z.array(z.string()).describe('What the last sample found wrong (see GET .../sample); empty unless the job is sampling_failed.'),
    missedSchedules: z.object({ total: z.number().int(), byReason: z.record(z.enum(MISSED_REASONS), z.number().int()) })
      .describe('How many scheduled times got no run of their own, in all and by reason (GET .../missed lists them).'),
  })
  .loose()
  .meta({ id: 'Job', description: 'The definition (credentials removed) and the live state from the job workflow.' });

const fixed = (field: string) =>
  z
    .unknown()
    .refine(() => false, `${field} is fixed at creation and cannot be changed; create a new job instead`)
    .describe(`Refused: ${field} is fixed at creation.`)
    .optional();

/** Updates: identifier, description, task type and direction are refused by name (seed 003). */
export const updateJobContract = updateJobBody
  .extend({ id: fixed('the identifier'), description: fixed('the description'), taskType: fixed('the task type'), direction: fixed('the direction') })
  .strict();

export const bulkRunBody = z
  .object({ jobs: z.array(identifier).min(1).max(100).refine((a) => new Set(a).size === a.length, 'each job at most once') })
  .strict();
export const bulkRunResult = z
  .object({
    results: z.array(
      z.object({
        job: z.string(),
        result: z.enum(['started', 'queued', 'already_queued', 'refused', 'unavailable', 'not_found']),
        reason: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'BulkRunResult' });
export const runRequestResult = z
  .object({ result: z.enum(['started', 'queued', 'already_queued']) })
  .meta({ id: 'RunRequestResult' });
/** One result per job of a bulk request: the job workflow's own answer, or why there is none. */
const bulkResults = <T extends readonly [string, ...string[]]>(answers: T, id: string) =>
  z
    .object({
      results: z.array(
        z.object({
          job: z.string(),
          result: z.enum([...answers, 'refused', 'unavailable', 'not_found']),
          reason: z.string().optional(),
        }),
      ),
    })
    .meta({ id });
export const bulkPauseBody = bulkRunBody.extend({ note: z.string().max(500).optional() }).strict();
export const bulkReactivateBody = bulkRunBody;
export const domainPauseBody = z.object({ note: z.string().max(500).optional() }).strict();
export const bulkPauseResult = bulkResults(['paused', 'already_paused'] as const, 'BulkPauseResult');
export const bulkReactivateResult = bulkResults(['reactivated', 'not_paused'] as const, 'BulkReactivateResult');

export const pauseResult = z
  .object({ result: z.enum(['paused', 'already_paused']) })
  .meta({ id: 'PauseResult' });
export const reactivateResult = z
  .object({ result: z.enum(['reactivated', 'not_paused']) })
  .meta({ id: 'ReactivateResult' });

export const runListQuery = z
  .object({
    outcome: commaList([...RUN_OUTCOMES, 'running'] as const, 'run outcomes (running: not ended)').optional(),
    limit: limit(200, 20),
    offset,
  })
  .strict();

export const logsQuery = z
  .object({
    after: z.coerce.number().int().min(0).optional().describe('Only lines after this log id (for resuming).'),
    limit: limit(5000, 1000),
  })
  .strict();

export const importProgressView = z
  .object({
    phase: z.string().describe('validating (reading the files), processing or importing.'),
    rowsRead: z.number().int(),
    bytesRead: z.number().int().nullable().describe("Of bytesTotal; the files' total once reading is done."),
    bytesTotal: z.number().int().nullable().describe("The run's files' sizes as listed."),
    rowsPerSecond: z.number().nullable().describe('Reading rate since this reading attempt began.'),
    readingEndsAt: z.string().nullable().describe('When reading should end at the rate so far (validating only).'),
    updatedAt: z.string().nullable().describe('When these figures were committed (each chunk of IMPORT_CHUNK_ROWS rows).'),
  })
  .meta({ id: 'ImportProgress' });
export const runView = z
  .object({
    number: z.number().int(), workflowId: z.string(), trigger: z.string(), attempt: z.number().int(), status: z.string(),
    counters: z.record(z.string(), z.number()),
    warningsByKind: z.record(z.string(), z.number().int()).describe(
      "Rows warned about, by kind: the task type's rules (canceled_section, dropped_room, inactive_course_with_sections) and "
      + "unusual_row_count, set to 1 when the row-count guard found the run's rows far below the job's usual."),
    failedPct: z.number(), reason: z.string().nullable(),
    startedAt: z.string(), endedAt: z.string().nullable(),
    progress: importProgressView.nullable().describe('How far a running import is; null for an export or once the run has ended.'),
  })
  .loose()
  .meta({ id: 'Run' });
export const missedListQuery = z
  .object({
    reason: commaList(MISSED_REASONS, 'reasons').optional().describe('Only these reasons (comma-separated).'),
    limit: limit(500, 50),
    offset,
  })
  .strict();

export const missedEntry = z
  .object({
    scheduledAt: z.string().describe('The time the schedule named.'),
    reason: z.enum(MISSED_REASONS).describe('merged: joined a run already queued; paused: a person had paused the job; halted: the system had halted it; outside_catchup_window: started too late (no worker or Temporal meanwhile); server_unavailable: Temporal never started it; overlap: skipped by the overlap policy; refused: the job could not run (not ready).'),
    detail: z.string().nullable(),
    mergedInto: z.string().nullable().describe('For merged: the scheduled time of the queued run it joined (null when that run was not a scheduled one).'),
    recordedAt: z.string(),
  })
  .meta({ id: 'MissedSchedule' });

export const logLine = z.object({ id: z.string(), at: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string() }).meta({ id: 'LogLine' });

export const createTokenBody = z
  .object({
    name: z.string().min(1).max(200),
    role: z.enum(ROLES),
    domain: identifier.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.role !== 'system_admin' && !v.domain) ctx.addIssue({ code: 'custom', path: ['domain'], message: `a ${v.role} token needs a domain` });
    if (v.role === 'system_admin' && v.domain) ctx.addIssue({ code: 'custom', path: ['domain'], message: 'a system_admin token covers every domain; give no domain' });
  });
export const tokenParams = z.object({ tokenId: z.uuid() }).strict();
export const tokenInfo = z
  .object({ id: z.string(), name: z.string(), role: z.enum(ROLES), domain: z.string().nullable(), createdAt: z.string(), revokedAt: z.string().nullable() })
  .meta({ id: 'Token' });
export const whoAmI = z
  .object({
    name: z.string(), role: z.enum(ROLES), domain: z.string().nullable(),
    temporalWebUrl: z.string().nullable().describe('Temporal Web, for links to workflows (null when not configured).'), namespace: z.string(),
  })
  .meta({ id: 'WhoAmI' });
export const tokenListQuery = z.object({ includeRevoked: z.enum(['true', 'false']).optional() }).strict();

export const auditQuery = z
  .object({ action: z.string().max(100).optional(), limit: limit(500, 50), offset })
  .strict();
export const allAuditQuery = auditQuery.extend({ domain: identifier.optional() }).strict();
export const auditList = z
  .object({
    items: z.array(
      z.object({
        id: z.string(), at: z.string(), who: z.string(), tokenId: z.string(), role: z.enum(ROLES), domain: z.string().nullable(),
        action: z.string(), target: z.string(), outcome: z.enum(['ok', 'refused', 'error']), httpStatus: z.number().int(), detail: z.string().nullable(),
      }),
    ),
    total: z.number().int(),
  })
  .meta({ id: 'AuditList' });

export const schedulePreviewBody = z
  .object({
    mode: z.enum(JOB_MODES),
    direction: z.enum(DIRECTIONS),
    taskType: z.string().min(1).max(100),
    scheduling: schedulingSchema,
    timezone: z.string().max(64).default('UTC').describe("The job's time zone (a timing's own time zone comes first)."),
    count: z.number().int().min(1).max(20).default(5).describe('How many next runs to list.'),
  })
  .strict();
export const schedulePreview = z
  .object({
    summary: z.string(),
    runsPerDay: z.number().int().nullable().describe('Runs on the busiest day; null without a valid schedule.'),
    maxRunsPerDay: z.number().int().nullable().describe('The most runs a day this job may have (batch imports: 4), else null.'),
    refusal: z.string().nullable().describe('Why creating or saving the job with this scheduling would be refused (422), in the same words; null when allowed.'),
    problems: z.array(z.object({ field: z.string(), message: z.string() })).describe('Each problem with the field it names (scheduling.timing.times, timezone, scheduling).'),
    timezone: z.string(),
    nextRuns: z.array(z.object({ at: z.string(), words: z.string().describe('e.g. "Mon 7 Dec, 06:00 Europe/Paris"') })),
  })
  .meta({ id: 'SchedulePreview' });
