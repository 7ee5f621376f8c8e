import crypto from 'node:crypto';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { IMPORTED_SUFFIX } from '../../io/import/fileSource';
import { sampleFile } from '../../io/import/sampling';
import type { Config } from '../../infra/config';
import {
  NotRegularFileError, OutsideAreaError, listRegularFiles, makeTempFolder, removeFolder, statInArea, writePrivateFile, kindOf, type FileArea, type ReadOptions,
} from '../../io/safeFiles';
import { JobSchema, type Job } from '../../db/entities';
import { SETUP_STATUSES, type SetupStatus } from '../../domain/jobDefinition';
import { ENCODINGS, importRulesSchema, rulesProblems, type ImportRules } from '../../taskTypes/importRules';
import { findTaskType } from '../../taskTypes/registry';
import { definitionChangedSignal } from '../../contracts/messages';
import { auditAs } from '../http/audit';
import { allowedPathOr422, refuseBadRules, type JobService } from '../commands/jobService';
import { HttpError, notFound, parseOr400 } from '../http/problem';
import type { ApiKit } from '../http/routeKit';
import { jobParams } from '../http/schemas';

/**
 * Sampling (issue 6 §4; PRODUCT.md, Statuses): an administrator sends a sample file (or asks
 * for the job's own file: source to be sampled) and gets the proposed encoding, delimiter and
 * mapping, a preview and the problems. The job shows `sampling` meanwhile, then `ready` (no
 * problems) or `sampling_failed`. Accepting applies the (possibly edited) proposed rules.
 */

const SAMPLE_TYPES = ['text/csv', 'application/octet-stream'];
const SAMPLE_LIMIT = '5mb';

const fromSourceBody = z.object({ fromSource: z.literal(true) }).strict();

/**
 * Choices the administrator already made (the console's edited proposal), kept as given: the
 * sample is read again with them, so the preview and the problems follow the edits.
 */
const sampleQuery = z
  .object({
    encoding: z.enum(ENCODINGS).optional().describe('Read the sample in this encoding instead of detecting it.'),
    delimiter: z.string().min(1).max(4).optional().describe('Split on this delimiter (1 to 4 characters) instead of detecting it.'),
    quote: z.string().length(1).optional().describe('The character that quotes a value (default ").'),
    header: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe("false: the sample has no header line; its columns are the task type's fields in order, as the import reads them (default true)."),
    mapping: z
      .string()
      .max(20_000)
      .transform((text, ctx) => {
        const parsed = z.record(z.string().max(200), z.string().max(200)).safeParse(jsonOrUndefined(text));
        if (parsed.success) return parsed.data;
        ctx.addIssue({ code: 'custom', message: 'a JSON object of file header to field, such as {"Intitulé":"title"}' });
        return z.NEVER;
      })
      .optional()
      .describe('JSON object: file header → field; these entries win over the proposed ones.'),
  })
  .strict();

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const previewRow = z.object({
  line: z.number().int(),
  values: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
  rejected: z.object({ column: z.string().optional(), reason: z.string() }).optional(),
});
const samplingResult = z
  .object({
    status: z.enum(['ready', 'sampling_failed']).describe("The job's setup status after this sample."),
    proposedRules: importRulesSchema.describe('Complete rules, ready to accept (POST .../sample/accept) as they are or edited.'),
    headers: z.array(z.string()),
    preview: z.array(previewRow),
    problems: z.array(z.string()).describe('Sentences an administrator can act on; none means the proposal validates.'),
  })
  .meta({ id: 'SamplingResult' });

const acceptSampleBody = z
  .object({ rules: importRulesSchema.describe("The rules to save with the job: the proposal, or the proposal changed (mapping, encoding, delimiter...). Replaces the job's rules.") })
  .strict();

/** What GET .../sample answers: the job's setup status and the problems of its last sample. */
const samplingState = z
  .object({
    status: z.enum(SETUP_STATUSES).describe("The job's setup status."),
    problems: z.array(z.string()).describe('What the last sample found wrong, kept with the job until a sample passes or rules are accepted; empty otherwise.'),
  })
  .meta({ id: 'SamplingState' });

/**
 * A delimiter and quote chosen in the query that cannot work together (a line break, the quote
 * inside the delimiter), as a 422 naming the query's field, before anything is read.
 */
function refuseBadReading(query: { delimiter?: string; quote?: string }): void {
  if (query.delimiter === undefined && query.quote === undefined) return;
  // What is not chosen is not judged: a placeholder delimiter that holds no quote, the default quote.
  const problems = rulesProblems({ delimiter: query.delimiter ?? '\u0001', quote: query.quote ?? '"', mapping: {} }, [])
    .map((p) => ({ in: 'query' as const, field: p.field.replace(/^rules\./, ''), message: p.message }))
    .filter((p) => (p.field === 'delimiter' ? query.delimiter !== undefined : true));
  if (problems.length) throw new HttpError(422, 'Reading rules refused', problems.map((p) => `${p.field}: ${p.message}`).join('; ') + '.', { errors: problems });
}

/** Said when the sampler itself failed (not the sample): the administrator can only try again. */
const SAMPLING_ERROR_PROBLEM = 'The sample could not be analysed because of an error on the server; send it again, and if it fails again, report it.';

/** Sets the job's setup status (and rules, and the problems found) and tells its workflow, as JobService.update does. */
async function applySetup(orm: MikroORM, service: JobService, job: Pick<Job, 'domain' | 'identifier'>, changes: { setupStatus: SetupStatus; samplingProblems?: string[]; rules?: ImportRules }): Promise<Job> {
  const em = orm.em.fork();
  const fresh = await em.findOne(JobSchema, { domain: job.domain, identifier: job.identifier });
  if (!fresh) throw notFound(`Job ${job.identifier}`);
  Object.assign(fresh, changes);
  await em.flush();
  await service.handle(fresh).signal(definitionChangedSignal, { settings: service.settingsOf(fresh), name: fresh.name });
  return fresh;
}

/**
 * The file a job's file: source points at (the first new file of a directory), in the job's
 * domain's area only: a link in the directory that leads out of it is refused, not followed.
 */
async function sourceFile(job: Job, area: FileArea): Promise<string> {
  const url = job.sourceUrl;
  if (!url || !url.toLowerCase().startsWith('file:')) {
    throw new HttpError(422, 'Source cannot be sampled', 'Only a file: source can be sampled from the server; upload a sample file instead (text/csv or application/octet-stream).');
  }
  if (!area.folders.length) throw new HttpError(422, 'Source cannot be sampled', 'No allowed file roots are configured on this API; upload a sample file instead.');
  const real = await allowedPathOr422('sourceUrl', url, area);
  const found = await statInArea(real, area);
  if (!found) throw new HttpError(422, 'Source not found', 'The job\'s source file does not exist; upload a sample file instead.');
  if (found.stat.isFile()) return real;
  if (!found.stat.isDirectory()) throw refusedFile(new NotRegularFileError(`The source is ${kindOf(found.stat)}, not a regular file or a folder`));
  const files = await listRegularFiles(real, area).catch((e: unknown) => {
    throw refusedFile(e);
  });
  const first = files.filter((f) => !f.name.endsWith(IMPORTED_SUFFIX) && !f.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))[0];
  if (first) return first.path;
  throw new HttpError(422, 'Nothing to sample', "The job's source directory has no new file; upload a sample file instead.");
}

/** A refusal of the safe file module as the 422 an administrator reads. */
function refusedFile(e: unknown): unknown {
  if (e instanceof OutsideAreaError) return new HttpError(422, 'Path refused', `sourceUrl: ${e.message}.`);
  if (e instanceof NotRegularFileError) return new HttpError(422, 'Source cannot be sampled', `sourceUrl: ${e.message}.`);
  return e;
}

export function samplingRoutes(kit: ApiKit, orm: MikroORM, service: JobService, config: Pick<Config, 'FILE_READ_STALL_TIMEOUT'>): void {
  const tag = 'Sampling';
  const samplePath = '/domains/:domain/jobs/:jobId/sample';

  // The sample's bytes, undecoded (the sampler detects the encoding): parsed before the kit's
  // text parser and handed on as a latin1 string, which maps each byte to one character.
  const raw = express.raw({ type: SAMPLE_TYPES, limit: SAMPLE_LIMIT });
  const keepBytes: RequestHandler = (req, res, next) => {
    if (!req.headers.authorization) return next(); // the kit answers 401 without reading the body
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (Buffer.isBuffer(req.body)) {
        res.locals.sampleBytes = req.body;
        req.body = '';
      } else if (req.body && typeof req.body === 'object' && req.is('application/json')) {
        res.locals.sampleJson = req.body;
        req.body = '';
      }
      next();
    });
  };
  kit.router.post(samplePath, keepBytes);

  kit.route(
    { method: 'post', path: samplePath, operationId: 'sampleJob', tag, access: 'write', summary: 'Sample a file: propose encoding, delimiter and mapping',
      description: `Send a sample file as the body (text/csv or application/octet-stream, at most ${SAMPLE_LIMIT}; larger is 413), or the JSON {"fromSource": true} to sample the job's own file: source. ` +
        'The job shows `sampling` while it works, then `ready` when the proposal has no problems, or `sampling_failed` (the problems say what to change). ' +
        "The proposal is not saved: accept it (or an edited copy) with POST .../sample/accept, which replaces the job's rules. " +
        'To see an edited proposal\'s preview and problems, send the sample again with the edits as encoding, delimiter, quote, header and mapping (query): they are kept as given; ' +
        'a delimiter and quote that cannot work together (a line break, the quote inside the delimiter) are a 422 naming the field.',
      params: jobParams, query: sampleQuery,
      textBody: { types: [...SAMPLE_TYPES, 'application/json'], limit: SAMPLE_LIMIT, description: 'The sample file, or application/json {"fromSource": true}.' },
      responses: { 200: { description: 'The proposal, preview and problems.', schema: samplingResult }, 413: { description: `The sample is larger than ${SAMPLE_LIMIT}.` }, 415: { description: 'Another media type.' }, 422: { description: 'The job cannot be sampled (an export, or a source that is not a readable file: URL), or the chosen delimiter and quote cannot work together (errors[].field names which).' } } },
    async ({ params, query }, _req, res) => {
      const job = await service.find(params.domain, params.jobId);
      const taskType = findTaskType(job.taskType);
      if (!taskType || job.direction !== 'import') throw new HttpError(422, 'Cannot sample', 'Only import jobs read files; sampling applies to them.');
      const bytes = res.locals.sampleBytes as Buffer | undefined;
      const json = res.locals.sampleJson as unknown;
      if (json !== undefined) parseOr400(fromSourceBody, json, 'body');
      else if (!bytes) throw new HttpError(415, 'Unsupported Media Type', `Send the sample as ${SAMPLE_TYPES.join(' or ')}, or {"fromSource": true} as application/json.`);
      refuseBadReading(query);

      let dir: string | undefined;
      let file: string;
      let area: FileArea;
      if (bytes) {
        dir = await makeTempFolder('jobflow-sample-');
        area = { domain: job.domain, folders: [dir] };
        file = path.join(dir, `sample-${crypto.randomUUID().slice(0, 8)}${taskType.format === 'xml' ? '.xml' : '.csv'}`);
        await writePrivateFile(file, (h) => h.writeFile(bytes), area);
      } else {
        area = service.fileArea(job.domain);
        file = await sourceFile(job, area);
      }
      // A sample read is bounded like a run's (a stalled file system answers, not hangs) and stops when the client leaves.
      const stop = new AbortController();
      res.once('close', () => stop.abort(new Error('the client went away')));
      const read: ReadOptions = { area, stallMs: Math.min(config.FILE_READ_STALL_TIMEOUT, 30_000), signal: stop.signal };
      try {
        await applySetup(orm, service, job, { setupStatus: 'sampling' });
        let result;
        try {
          const chosen = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as Partial<ImportRules>;
          result = await sampleFile(file, taskType, read, chosen);
        } catch (e) {
          if (e instanceof OutsideAreaError || e instanceof NotRegularFileError) {
            await applySetup(orm, service, job, { setupStatus: 'sampling_failed', samplingProblems: [e.message] });
            throw refusedFile(e);
          }
          await applySetup(orm, service, job, { setupStatus: 'sampling_failed', samplingProblems: [SAMPLING_ERROR_PROBLEM] });
          throw e;
        }
        const status = result.problems.length ? 'sampling_failed' : 'ready';
        // The problems stay with the job (job detail, GET .../sample) until a sample passes or rules are accepted.
        await applySetup(orm, service, job, { setupStatus: status, samplingProblems: result.problems });
        auditAs(res, { target: `jobs/${job.identifier}/sample`, detail: `${bytes ? 'upload' : 'source'}: ${status}, ${result.problems.length} problem(s)` });
        res.json({ status, ...result });
      } finally {
        if (dir) await removeFolder(dir);
      }
    },
  );

  kit.route(
    { method: 'get', path: samplePath, operationId: 'getSampling', tag, access: 'read', summary: "The job's setup status and the problems of its last sample",
      description: 'The problems are kept with the job (they survive a restart of the API) until a sample passes or rules are accepted.',
      params: jobParams, responses: { 200: { description: 'The setup status and the problems.', schema: samplingState } } },
    async ({ params }, _req, res) => {
      const job = await service.find(params.domain, params.jobId);
      res.json({ status: job.setupStatus, problems: job.samplingProblems ?? [] });
    },
  );

  kit.route(
    { method: 'post', path: `${samplePath}/accept`, operationId: 'acceptSample', tag, access: 'write', summary: 'Accept (or change) the proposed rules',
      description: "Saves the rules (the proposal from POST .../sample, as it is or changed) as the job's rules, and makes the job ready to run.",
      params: jobParams, body: acceptSampleBody,
      responses: { 200: { description: 'The rules saved and the status.', schema: z.object({ status: z.literal('ready'), rules: importRulesSchema }) }, 422: { description: 'The job is not an import.' } } },
    async ({ params, body }, _req, res) => {
      const job = await service.find(params.domain, params.jobId);
      if (job.direction !== 'import') throw new HttpError(422, 'Cannot accept', 'Only import jobs have reading rules.');
      const taskType = findTaskType(job.taskType);
      if (taskType) refuseBadRules(body.rules, taskType);
      const saved = await applySetup(orm, service, job, { setupStatus: 'ready', samplingProblems: [], rules: body.rules });
      auditAs(res, { target: `jobs/${job.identifier}/sample/accept` });
      res.json({ status: 'ready', rules: saved.rules });
    },
  );
}
