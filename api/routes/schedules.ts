import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { auditAs } from '../http/audit';
import type { JobService } from '../commands/jobService';
import { OpmlError, parseSchedulesOpml, schedulesToOpml } from '../commands/opml';
import { HttpError } from '../http/problem';
import type { ApiKit } from '../http/routeKit';
import { domainParams } from '../http/schemas';
import { schedulePreview, schedulePreviewBody } from '../http/routeSchemas';
import { previewSchedule } from '../queries/schedulePreview';
import { findTaskType, taskTypeNames } from '../../taskTypes/registry';

const OPML_TYPES = ['text/x-opml', 'application/xml', 'text/xml', 'application/opml+xml'];

/** A domain's schedules as OPML: export, and import back (seed 002); a draft schedule's next runs. */
export function scheduleRoutes(kit: ApiKit, service: JobService): void {
  kit.route(
    { method: 'post', path: '/schedule-preview', operationId: 'previewSchedule', tag: 'Schedules', access: 'any', summary: 'What a schedule would do, before it is saved',
      description: "The next runs of a draft scheduling in words, in its time zone, and whether creating or saving a job with it would be refused (the four-a-day rule for batch imports among the reasons), each problem naming its field. Changes nothing.",
      body: schedulePreviewBody, responses: { 200: { description: 'The preview.', schema: schedulePreview }, 422: { description: 'Unknown task type, or a direction it does not support.' } } },
    ({ body }, _req, res) => {
      const taskType = findTaskType(body.taskType);
      const refuse = (title: string, field: string, message: string) => new HttpError(422, title, message, { errors: [{ in: 'body', field, message }] });
      if (!taskType) throw refuse('Unknown task type', 'taskType', `"${body.taskType}" is not a task type. Known: ${taskTypeNames().join(', ')}.`);
      if (!taskType.directions.includes(body.direction)) throw refuse('Unsupported direction', 'direction', `${body.taskType} does not support ${body.direction}.`);
      res.json(previewSchedule(body, taskType, new Date()));
    },
  );

  kit.route(
    { method: 'get', path: '/domains/:domain/schedules.opml', operationId: 'exportSchedules', tag: 'Schedules', access: 'read', summary: "The domain's job schedules as OPML",
      params: domainParams, responses: { 200: { description: 'One outline per job.', type: 'text/x-opml' } } },
    async ({ params }, _req, res) => {
      const jobs = await service.list(params.domain);
      res.type('text/x-opml').attachment(`${params.domain}-schedules.opml`).send(schedulesToOpml(params.domain, jobs));
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/schedules.opml', operationId: 'importSchedules', tag: 'Schedules', access: 'write', summary: 'Import schedules from OPML',
      description: "Changes each named job's scheduling, timezone and active flag. The whole document is checked first: a bad document, an unknown job or a bad schedule is refused with its line, and nothing changes.",
      params: domainParams, textBody: { types: OPML_TYPES, limit: '1mb', description: 'An OPML document, as exported.' },
      responses: { 200: { description: 'What changed.', schema: z.object({ updated: z.array(z.string()), unchanged: z.array(z.string()) }) } } },
    async ({ params }, req, res) => {
      let lines;
      try {
        lines = parseSchedulesOpml(req.body as string) // a string: the kit checked the media type;
      } catch (e) {
        if (!(e instanceof OpmlError)) throw e;
        throw new HttpError(400, 'Invalid OPML', e.message, { line: e.line });
      }
      const jobs = new Map((await service.list(params.domain)).map((j) => [j.identifier, j]));
      for (const l of lines) if (!jobs.has(l.jobId)) throw new HttpError(400, 'Invalid OPML', `line ${l.line}: job "${l.jobId}" does not exist in domain ${params.domain}`, { line: l.line });
      const updated: string[] = [];
      const unchanged: string[] = [];
      for (const l of lines) {
        const job = jobs.get(l.jobId)!;
        const changes = {
          scheduling: l.scheduling,
          ...(l.timezone !== undefined ? { timezone: l.timezone } : {}),
          ...(l.active !== undefined ? { active: l.active } : {}),
        };
        const same = isDeepStrictEqual(job.scheduling, l.scheduling) && (l.timezone ?? job.timezone) === job.timezone && (l.active ?? job.active) === job.active;
        if (same) {
          unchanged.push(l.jobId);
          continue;
        }
        try {
          await service.update(params.domain, l.jobId, changes);
        } catch (e) {
          if (e instanceof HttpError && e.status === 422) {
            throw new HttpError(422, 'Schedule refused', `line ${l.line}: job "${l.jobId}": ${e.message}${updated.length ? ` (already updated: ${updated.join(', ')})` : ''}`, { line: l.line, updated });
          }
          throw e;
        }
        updated.push(l.jobId);
      }
      auditAs(res, { target: 'schedules.opml', detail: `updated: ${updated.join(', ') || 'none'}` });
      res.json({ updated, unchanged });
    },
  );
}
