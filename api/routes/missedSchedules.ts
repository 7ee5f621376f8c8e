import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { MissedReason } from '../../domain/missedSchedule';
import type { JobService } from '../commands/jobService';
import type { ApiKit } from '../http/routeKit';
import { missedEntry, missedListQuery } from '../http/routeSchemas';
import { jobParams } from '../http/schemas';
import { missedPage } from '../queries/missedSchedules';

/** The missed-schedule ledger of a job (README, Missed schedules). */
export function missedScheduleRoutes(kit: ApiKit, orm: MikroORM, service: JobService): void {
  kit.route(
    { method: 'get', path: '/domains/:domain/jobs/:jobId/missed', operationId: 'listMissedSchedules', tag: 'Runs', access: 'read',
      summary: "A job's scheduled times that got no run of their own, newest first, with why",
      description: 'Recorded as they are seen: a tick merged into a queued run or refused at once; a tick too late for the catch-up window when it reaches a worker; times Temporal never started (the schedule paused, or skipped) by the reconciler, within MISSED_SCHEDULES_CHECK_INTERVAL plus SCHEDULE_CATCHUP_WINDOW.',
      params: jobParams, query: missedListQuery,
      responses: { 200: { description: 'A page of missed times.', schema: z.object({ items: z.array(missedEntry), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }).meta({ id: 'MissedScheduleList' }) } } },
    async ({ params, query }, _req, res) => {
      const job = await service.find(params.domain, params.jobId);
      const page = await missedPage(orm, job.id, { reason: query.reason?.split(',') as MissedReason[] | undefined, limit: query.limit, offset: query.offset });
      res.json({ ...page, limit: query.limit, offset: query.offset });
    },
  );
}
