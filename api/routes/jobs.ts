import { z } from 'zod';
import type { Job } from '../../db/entities';
import type { JobStatus } from '../../domain/jobLifecycle';
import { auditAs } from '../http/audit';
import type { Principal } from '../http/auth';
import { bulkPauseBody, bulkPauseResult, bulkReactivateBody, bulkReactivateResult, bulkRunBody, bulkRunResult, domainPauseBody, jobDetail, jobList, jobListQuery, allJobsQuery, pauseResult, reactivateResult, runRequestResult, updateJobContract } from '../http/routeSchemas';
import { mapBounded } from '../../infra/mapBounded';
import { currentPhase, type JobIcon } from '../queries/display';
import { STATUS_FILTER_MAX_CANDIDATES, type JobQueries, type JobSort } from '../queries/jobQueries';
import type { JobService } from '../commands/jobService';
import { HttpError, notFound } from '../http/problem';
import type { ApiKit } from '../http/routeKit';
import { createJobBody, domainParams, eventBody, jobParams, pauseBody } from '../http/schemas';
import { missedCounts } from '../queries/missedSchedules';
import { jobView, withOpenRun } from '../queries/views';

/** A person's request answered by the job workflow itself, which a worker must take in time. */
const noAnswer = { description: 'No worker took the request within RUN_REQUEST_TIMEOUT_MS (or Temporal is unreachable); nothing was changed, and the request has expired.' };

/** Jobs of a domain: definition, live state, the list, and actions. */
export function jobRoutes(kit: ApiKit, service: JobService, queries: JobQueries): void {
  const tag = 'Jobs';
  // The live state and the unread flag at once: the workflow query is the long pole.
  // What a create or an update answers: the same fields as GET (the unread flag and the missed-schedule counts from one query).
  const detail = async (job: Job) => {
    const [live, found] = await Promise.all([queries.live(job), queries.definitionWithUnread(job.domain, job.identifier)]);
    return { ...jobView(job, withOpenRun(live, found?.openRun ?? null), {}, found?.recentRuns), unreadLogs: found?.unreadLogs ?? false, missedSchedules: missedCounts(found?.missedByReason ?? null) };
  };

  const list = async (q: z.output<typeof jobListQuery>, domain: string | undefined) => {
    const desc = q.sort.startsWith('-');
    const r = await queries.list({
      domain, q: q.q, mode: q.mode, taskType: q.taskType, direction: q.direction,
      status: q.status?.split(',') as JobStatus[] | undefined,
      icon: q.icon?.split(',') as JobIcon[] | undefined,
      sort: q.sort.replace(/^-/, '') as JobSort, desc, limit: q.limit, offset: q.offset,
    });
    if (r.tooMany) throw new HttpError(422, 'Too many jobs to filter by status', `Narrow the list (domain, q, mode, taskType) to at most ${STATUS_FILTER_MAX_CANDIDATES} jobs before filtering by status or icon.`);
    return { items: r.items, total: r.total, limit: q.limit, offset: q.offset };
  };

  kit.route(
    { method: 'get', path: '/domains/:domain/jobs', operationId: 'listJobs', tag, access: 'read', summary: "List a domain's jobs",
      description: 'Filters: status (live, from the job workflows), icon (the status icon the list shows), q (text in name or identifier), mode, taskType, direction. Sorted and paginated; total counts every match.',
      params: domainParams, query: jobListQuery, responses: { 200: { description: 'A page of jobs.', schema: jobList } } },
    async ({ params, query }, _req, res) => {
      res.json(await list(query, params.domain));
    },
  );

  kit.route(
    { method: 'get', path: '/jobs', operationId: 'listAllJobs', tag, access: 'any', summary: 'List jobs across domains',
      description: "System administrators see every domain (or one, with domain=); other tokens see their own domain, and another domain is a 404.",
      query: allJobsQuery, responses: { 200: { description: 'A page of jobs.', schema: jobList } } },
    async ({ query, principal }, _req, res) => {
      const { domain, ...rest } = query;
      res.json(await list(rest, scopeDomain(principal, domain)));
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs', operationId: 'createJob', tag, access: 'write', summary: 'Create a job',
      description: 'The identifier (id) and description are fixed afterwards.',
      params: domainParams, body: createJobBody, responses: { 201: { description: 'The job.', schema: jobDetail }, 409: { description: 'The identifier is taken.' }, 422: { description: 'The definition is refused (schedule, task type, source).' } } },
    async ({ params, body }, _req, res) => {
      const job = await service.create(params.domain, body);
      auditAs(res, { target: `jobs/${job.identifier}` });
      res.status(201).location(`/domains/${params.domain}/jobs/${job.identifier}`).json(await detail(job));
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs/run', operationId: 'runJobs', tag, access: 'write', summary: 'Run several jobs now',
      description: "One result per job, each the job workflow's own answer: started, queued (behind the current run), already_queued, refused (with the reason), unavailable (no worker answered in time; nothing was changed for that job) or not_found.",
      params: domainParams, body: bulkRunBody, responses: { 200: { description: 'A result per job.', schema: bulkRunResult } } },
    async ({ params, body, principal }, _req, res) => {
      const results = await askEach(service, params.domain, body.jobs, (job) => service.runNow(job, principal));
      auditAs(res, { target: `jobs/${body.jobs.join(',')}`, detail: bulkDetail(results) });
      res.json({ results });
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs/pause', operationId: 'pauseJobs', tag, access: 'write', summary: 'Pause several jobs (with a note)',
      description: "One result per job, each the job workflow's own answer: paused, already_paused (who paused it and why are kept), refused, unavailable (no worker answered in time; nothing was changed for that job) or not_found.",
      params: domainParams, body: bulkPauseBody, responses: { 200: { description: 'A result per job.', schema: bulkPauseResult } } },
    async ({ params, body, principal }, _req, res) => {
      const results = await askEach(service, params.domain, body.jobs, (job) => service.pause(job, principal, body.note));
      auditAs(res, { target: `jobs/${body.jobs.join(',')}`, detail: bulkDetail(results, body.note) });
      res.json({ results });
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs/reactivate', operationId: 'reactivateJobs', tag, access: 'write', summary: 'Reactivate several jobs',
      description: 'One result per job: reactivated, not_paused (neither paused nor halted: left as it is), refused, unavailable or not_found.',
      params: domainParams, body: bulkReactivateBody, responses: { 200: { description: 'A result per job.', schema: bulkReactivateResult } } },
    async ({ params, body, principal }, _req, res) => {
      const results = await askEach(service, params.domain, body.jobs, (job) => service.reactivate(job, principal));
      auditAs(res, { target: `jobs/${body.jobs.join(',')}`, detail: bulkDetail(results) });
      res.json({ results });
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/pause', operationId: 'pauseDomain', tag, access: 'system', summary: "Pause every job of a domain (system administrators)",
      description: "For an incident or a maintenance window: every job of the domain, each with its own result as for pauseJobs. Jobs made afterwards are not paused.",
      params: domainParams, body: domainPauseBody, responses: { 200: { description: 'A result per job.', schema: bulkPauseResult } } },
    async ({ params, body, principal }, _req, res) => {
      const results = await askEach(service, params.domain, await service.identifiers(params.domain), (job) => service.pause(job, principal, body.note));
      auditAs(res, { target: 'jobs/*', detail: bulkDetail(results, body.note) });
      res.json({ results });
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/reactivate', operationId: 'reactivateDomain', tag, access: 'system', summary: 'Reactivate every job of a domain (system administrators)',
      description: 'Every paused or halted job of the domain goes back to its schedule; each job has its own result as for reactivateJobs.',
      params: domainParams, responses: { 200: { description: 'A result per job.', schema: bulkReactivateResult } } },
    async ({ params, principal }, _req, res) => {
      const results = await askEach(service, params.domain, await service.identifiers(params.domain), (job) => service.reactivate(job, principal));
      auditAs(res, { target: 'jobs/*', detail: bulkDetail(results) });
      res.json({ results });
    },
  );

  kit.route(
    { method: 'get', path: '/domains/:domain/jobs/:jobId', operationId: 'getJob', tag, access: 'read', summary: 'A job with its live state',
      params: jobParams, responses: { 200: { description: 'The job.', schema: jobDetail } } },
    async ({ params }, _req, res) => {
      // The live state (the workflow query, the long pole) and the next run time while the
      // definition, the unread flag and the current run's phase are read in one query.
      const ref = { domain: params.domain, identifier: params.jobId };
      const live = queries.live(ref);
      const nextRunAt = queries.nextRunAt(ref, live);
      const found = await queries.definitionWithUnread(params.domain, params.jobId);
      if (!found) throw notFound(`Job ${params.jobId}`);
      const state = withOpenRun(await live, found.openRun);
      const phase = currentPhase(state?.status ?? 'unknown', found.currentStatus, state);
      res.json({ ...jobView(found.job, state, { phase, nextRunAt: await nextRunAt }, found.recentRuns), unreadLogs: found.unreadLogs, missedSchedules: missedCounts(found.missedByReason) });
    },
  );

  kit.route(
    { method: 'patch', path: '/domains/:domain/jobs/:jobId', operationId: 'updateJob', tag, access: 'write', summary: 'Change a job',
      description: 'Everything but the identifier, description, task type and direction, which are refused by name.',
      params: jobParams, body: updateJobContract, responses: { 200: { description: 'The job.', schema: jobDetail }, 422: { description: 'The definition is refused.' } } },
    async ({ params, body }, _req, res) => {
      const { id: _id, description: _d, taskType: _t, direction: _dir, ...changes } = body;
      res.json(await detail(await service.update(params.domain, params.jobId, changes)));
    },
  );

  kit.route(
    { method: 'delete', path: '/domains/:domain/jobs/:jobId', operationId: 'deleteJob', tag, access: 'write', summary: 'Delete a job',
      params: jobParams, responses: { 204: { description: 'Deleted.' } } },
    async ({ params, principal }, _req, res) => {
      await service.delete(params.domain, params.jobId, principal);
      res.status(204).end();
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs/:jobId/run', operationId: 'runJob', tag, access: 'write', summary: 'Run a job now',
      description: "The job workflow's own answer: started, or queued behind the current run (once: already_queued after that).",
      params: jobParams, responses: { 202: { description: 'Started, or queued behind the current run.', schema: runRequestResult }, 409: { description: 'Refused, with the reason.' }, 503: noAnswer } },
    async ({ params, principal }, _req, res) => {
      res.status(202).json(await service.runNow(await service.find(params.domain, params.jobId), principal));
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs/:jobId/events', operationId: 'sendJobEvent', tag, access: 'write', summary: 'Send an event to an on-demand job',
      params: jobParams, body: eventBody, responses: { 202: { description: 'Accepted.', schema: runRequestResult }, 409: { description: 'Refused, with the reason.' }, 503: noAnswer } },
    async ({ params, body, principal }, _req, res) => {
      res.status(202).json(await service.runNow(await service.find(params.domain, params.jobId), principal, 'event', body.detail));
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs/:jobId/pause', operationId: 'pauseJob', tag, access: 'write', summary: 'Pause a job (with a note)',
      description: 'A run in progress finishes; a run queued behind it is dropped; the schedule is paused right after. A job already paused keeps who paused it and why.',
      params: jobParams, body: pauseBody, responses: { 202: { description: 'Paused (its schedule follows), or already paused.', schema: pauseResult }, 503: noAnswer } },
    async ({ params, body, principal }, _req, res) => {
      res.status(202).json(await service.pause(await service.find(params.domain, params.jobId), principal, body.note));
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs/:jobId/reactivate', operationId: 'reactivateJob', tag, access: 'write', summary: 'Reactivate a paused or halted job',
      description: 'Clears the pause or halt and any pending retry; the schedule is resumed right after. A job neither paused nor halted is left as it is (not_paused).',
      params: jobParams, responses: { 202: { description: 'Reactivated (its schedule follows), or not paused.', schema: reactivateResult }, 503: noAnswer } },
    async ({ params, principal }, _req, res) => {
      res.status(202).json(await service.reactivate(await service.find(params.domain, params.jobId), principal));
    },
  );

  kit.route(
    { method: 'post', path: '/domains/:domain/jobs/:jobId/cancel', operationId: 'cancelRun', tag, access: 'write', summary: 'Cancel the run in progress',
      params: jobParams, responses: { 202: { description: 'Canceling.' }, 409: { description: 'No run in progress.' } } },
    async ({ params }, _req, res) => {
      const run = await service.cancelRun(await service.find(params.domain, params.jobId));
      if (run === undefined) throw new HttpError(409, 'No run in progress', 'The job has no run in progress to cancel.');
      res.status(202).json({ result: 'canceling', run });
    },
  );
}

/** The domain a list covers: system administrators choose (or see all); others see their own. */
export function scopeDomain(p: Principal, asked: string | undefined): string | undefined {
  if (p.role === 'system_admin') return asked;
  if (asked !== undefined && asked !== p.domain) throw notFound(`Domain ${asked}`);
  return p.domain ?? undefined;
}

/**
 * Asks each job in turn (a few at a time) and gives each its own result: the workflow's
 * answer, or why there is none (unknown job, refusal, no worker answering).
 */
async function askEach<A extends { result: string }>(service: JobService, domain: string, ids: readonly string[], ask: (job: Job) => Promise<A>) {
  return mapBounded(ids, 8, async (id) => {
    let job: Job;
    try {
      job = await service.find(domain, id);
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) return { job: id, result: 'not_found' as const };
      throw e;
    }
    try {
      return { job: id, ...(await ask(job)) };
    } catch (e) {
      if (e instanceof HttpError && e.status === 503) return { job: id, result: 'unavailable' as const, reason: e.message };
      if (e instanceof HttpError) return { job: id, result: 'refused' as const, reason: e.message };
      throw e;
    }
  });
}

const bulkDetail = (results: { job: string; result: string }[], note?: string) =>
  `${results.map((r) => `${r.job}: ${r.result}`).join('; ')}${note ? `; note: ${note}` : ''}`;
