import { z } from 'zod';
import { DIRECTIONS, JOB_MODES } from '../../domain/jobDefinition';
import { WEEKDAYS } from '../../domain/schedule';
import { importRulesSchema } from '../../taskTypes/importRules';

/** Request bodies and parameters, validated with zod (unknown fields refused, sizes bounded). */

export const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _, starting with a letter or digit, at most 63 characters');

export const domainParams = z.object({ domain: identifier }).strict();
export const jobParams = z.object({ domain: identifier, jobId: identifier }).strict();
export const runParams = jobParams.extend({ runNumber: z.coerce.number().int().positive() }).strict();

const timing = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('calendar'),
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
    times: z.array(z.string().max(5)).min(1).max(48),
    timezone: z.string().max(64).optional(),
  }).strict(),
  // One of everyMinutes or everySeconds (domain/schedule.ts checks that exactly one is given).
  z.object({
    kind: z.literal('interval'),
    everyMinutes: z.number().int().min(1).max(60 * 24 * 31).optional(),
    everySeconds: z.number().int().min(1).max(60 * 60 * 24 * 31).optional(),
    timezone: z.string().max(64).optional(),
  }).strict(),
  z.object({ kind: z.literal('cron'), expression: z.string().max(200), timezone: z.string().max(64).optional() }).strict(),
]);

export const schedulingSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('automatic') }).strict(),
  z.object({ type: z.literal('disabled') }).strict(),
  z.object({ type: z.literal('scheduled'), timing }).strict(),
]);

const url = z.string().max(2000).refine((u) => /^(file|ftp|ftps|https):/i.test(u), 'a file:, ftp:, ftps: or https: URL');

/**
 * The fields an administrator may change after creation, without defaults: an update
 * changes what it names and nothing else (`rules` is replaced as a whole).
 */
const editableJobFields = {
  name: z.string().min(1).max(200),
  mode: z.enum(JOB_MODES),
  rules: importRulesSchema,
  sourceUrl: url,
  destinationUrl: url,
  scheduling: schedulingSchema,
  timezone: z.string().max(64),
  active: z.boolean(),
  recipients: z.array(z.email().max(320)).max(50),
  sendReport: z.boolean(),
};

export const createJobBody = z
  .object({
    ...editableJobFields,
    id: identifier,
    description: z.string().max(2000).default(''),
    taskType: z.string().max(100),
    direction: z.enum(DIRECTIONS).default('import'),
    rules: importRulesSchema.default(importRulesSchema.parse({})),
    sourceUrl: url.optional(),
    destinationUrl: url.optional(),
    scheduling: schedulingSchema.default({ type: 'disabled' }),
    timezone: z.string().max(64).default('UTC'),
    active: z.boolean().default(true),
    recipients: z.array(z.email().max(320)).max(50).default([]),
    sendReport: z.boolean().default(false),
  })
  .strict();
export type CreateJobBody = z.infer<typeof createJobBody>;

/** What an update may change; the identifier and description are fixed at creation (seed 003). */
export const updateJobBody = z.object(editableJobFields).partial().strict();

export const pauseBody = z.object({ note: z.string().max(500).optional() }).strict();
export const eventBody = z.object({ source: z.string().max(200).default('api'), detail: z.string().max(2000).optional() }).strict();

export const listRunsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
}).strict();
