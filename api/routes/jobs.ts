import { Router } from 'express';
import { requireAccess } from '../auth';
import type { JobService } from '../jobService';
import { HttpError, parseOr400 } from '../problem';
import { createJobBody, domainParams, eventBody, jobParams, pauseBody, updateJobBody } from '../schemas';
import { jobView } from '../views';

/** Jobs of a domain: definition, live state and actions. */
export function jobRoutes(service: JobService): Router {
  const r = Router();

  r.get('/domains/:domain/jobs', async (req, res) => {
    const { domain } = parseOr400(domainParams, req.params, 'path');
    requireAccess(req.principal, domain, 'read');
    const jobs = await service.list(domain);
    const items = await Promise.all(jobs.map(async (j) => jobView(j, await service.liveState(j))));
    res.json({ items, total: items.length });
  });

  r.post('/domains/:domain/jobs', async (req, res) => {
    const { domain } = parseOr400(domainParams, req.params, 'path');
    requireAccess(req.principal, domain, 'write');
    const body = parseOr400(createJobBody, req.body ?? {}, 'body');
    const job = await service.create(domain, body);
    res.status(201).location(`/domains/${domain}/jobs/${job.identifier}`).json(jobView(job, await service.liveState(job)));
  });

  r.get('/domains/:domain/jobs/:jobId', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    requireAccess(req.principal, domain, 'read');
    const job = await service.find(domain, jobId);
    res.json(jobView(job, await service.liveState(job)));
  });

  r.patch('/domains/:domain/jobs/:jobId', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    requireAccess(req.principal, domain, 'write');
    const changes = parseOr400(updateJobBody, req.body ?? {}, 'body');
    const job = await service.update(domain, jobId, changes);
    res.json(jobView(job, await service.liveState(job)));
  });

  r.delete('/domains/:domain/jobs/:jobId', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    const who = requireAccess(req.principal, domain, 'write');
    await service.delete(domain, jobId, who);
    res.status(204).end();
  });

  r.post('/domains/:domain/jobs/:jobId/run', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    const who = requireAccess(req.principal, domain, 'write');
    const result = await service.runNow(await service.find(domain, jobId), who);
    if (result.result === 'refused') throw new HttpError(409, 'Run refused', result.reason);
    res.status(202).json(result);
  });

  r.post('/domains/:domain/jobs/:jobId/events', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    const who = requireAccess(req.principal, domain, 'write');
    const body = parseOr400(eventBody, req.body ?? {}, 'body');
    const result = await service.runNow(await service.find(domain, jobId), who, 'event', body.detail);
    if (result.result === 'refused') throw new HttpError(409, 'Event refused', result.reason);
    res.status(202).json(result);
  });

  r.post('/domains/:domain/jobs/:jobId/pause', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    const who = requireAccess(req.principal, domain, 'write');
    const { note } = parseOr400(pauseBody, req.body ?? {}, 'body');
    await service.pause(await service.find(domain, jobId), who, note);
    res.status(202).json({ result: 'pausing' });
  });

  r.post('/domains/:domain/jobs/:jobId/reactivate', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    const who = requireAccess(req.principal, domain, 'write');
    await service.reactivate(await service.find(domain, jobId), who);
    res.status(202).json({ result: 'reactivating' });
  });

  r.post('/domains/:domain/jobs/:jobId/cancel', async (req, res) => {
    const { domain, jobId } = parseOr400(jobParams, req.params, 'path');
    requireAccess(req.principal, domain, 'write');
    const run = await service.cancelRun(await service.find(domain, jobId));
    if (run === undefined) throw new HttpError(409, 'No run in progress', 'The job has no run in progress to cancel.');
    res.status(202).json({ result: 'canceling', run });
  });

  return r;
}
