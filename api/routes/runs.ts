import { Router } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import { RejectedRowSchema, RunLogSchema, RunSchema } from '../../db/entities';
import { requireAccess } from '../auth';
import type { JobService } from '../jobService';
import { notFound, parseOr400 } from '../problem';
import { jobParams, listRunsQuery, runParams } from '../schemas';
import { runView } from '../views';

const csvCell = (v: string | number | null | undefined) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Run history, read from the run-history table (no Temporal round trip per run). */
export function runRoutes(orm: MikroORM, service: JobService): Router {
  const r = Router();

  const findRun = async (params: unknown) => {
    const { domain, jobId, runNumber } = parseOr400(runParams, params, 'path');
    const job = await service.find(domain, jobId);
    const run = await orm.em.fork().findOne(RunSchema, { jobId: job.id, number: runNumber });
    if (!run) throw notFound(`Run ${runNumber}`);
    return { domain, job, run };
  };

  r.get('/domains/:domain/jobs/:jobId/runs', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    requireAccess(req.principal, domain, 'read');
    const q = parseOr400(listRunsQuery, req.query, 'query');
    const job = await service.find(domain, jobId);
    const [runs, total] = await orm.em.fork().findAndCount(RunSchema, { jobId: job.id }, { orderBy: { number: 'desc' }, limit: q.limit, offset: q.offset });
    res.json({ items: runs.map(runView), total });
  });

  r.get('/domains/:domain/jobs/:jobId/runs/:runNumber', async (req, res) => {
    requireAccess(req.principal, String(req.params.domain), 'read');
    const { run } = await findRun(req.params);
    res.json(runView(run));
  });

  r.get('/domains/:domain/jobs/:jobId/runs/:runNumber/logs', async (req, res) => {
    requireAccess(req.principal, String(req.params.domain), 'read');
    const { run } = await findRun(req.params);
    const logs = await orm.em.fork().find(RunLogSchema, { runId: run.id }, { orderBy: { id: 'asc' } });
    res.json({ items: logs.map((l) => ({ at: l.at, level: l.level, message: l.message })) });
  });

  r.get('/domains/:domain/jobs/:jobId/runs/:runNumber/rejected.csv', async (req, res) => {
    requireAccess(req.principal, String(req.params.domain), 'read');
    const { job, run } = await findRun(req.params);
    const rows = await orm.em.fork().find(RejectedRowSchema, { runId: run.id }, { orderBy: { line: 'asc' } });
    res.type('text/csv').attachment(`${job.identifier}-run-${run.number}-rejected.csv`);
    res.send(['line,column,reason,raw', ...rows.map((x) => [x.line, x.column, x.reason, x.raw].map(csvCell).join(','))].join('\n') + '\n');
  });

  return r;
}
