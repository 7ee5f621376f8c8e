import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { JobSchema, type Job } from '../db/entities';
import type { JobStatus } from '../domain/jobLifecycle';
import type { Scheduling, Timing } from '../domain/schedule';
import { jobWorkflowId } from '../domain/jobDefinition';
import type { JobView } from '../workflows/messages';
import { JobStatusKey } from '../workflows/searchAttributes';
import type { JobService } from './jobService';
import { redactUrl } from './views';

/**
 * The job list: filters, sorting and pagination run in one SQL query (with the last run and
 * the unread-logs flag); the live status of the rows shown comes from their job workflows,
 * queried in parallel with a bound so a page costs a few round trips, not one per job.
 */

export const JOB_SORTS = ['id', 'name', 'taskType', 'mode', 'domain', 'lastRunAt', 'createdAt'] as const;
export type JobSort = (typeof JOB_SORTS)[number];

const SORT_SQL: Record<JobSort, string> = {
  id: 'j.identifier',
  name: 'lower(j.name)',
  taskType: 'j.task_type',
  mode: 'j.mode',
  domain: 'j.domain',
  lastRunAt: 'lr.ended_at',
  createdAt: 'j.created_at',
};

export interface JobListFilter {
  /** Undefined: every domain (system administrators only). */
  domain?: string;
  status?: JobStatus[];
  q?: string;
  mode?: string;
  taskType?: string;
  direction?: string;
  sort: JobSort;
  desc: boolean;
  limit: number;
  offset: number;
}

/** How many job workflows one list request queries at once. */
const LIVE_QUERY_CONCURRENCY = 32;
/** A status filter needs every candidate's live state; past this many candidates it is refused. */
export const STATUS_FILTER_MAX_CANDIDATES = 5000;

interface ListRow extends Record<string, unknown> {
  last_run_at: Date | null;
  last_outcome: string | null;
  last_reason: string | null;
  unread_logs: boolean;
  total: string;
}

export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Statuses whose list row needs more than the status: the run's phase, the next run time. */
const NEEDS_LIVE = new Set(['running', 'scheduled']);
/** Workflow ids per visibility query. */
const VISIBILITY_CHUNK = 200;

export class JobQueries {
  constructor(
    private readonly orm: MikroORM,
    private readonly service: JobService,
    private readonly temporal?: Client,
  ) {}

  /**
   * Statuses the job workflows published as the JobStatus search attribute: one visibility
   * query per 200 jobs instead of one workflow query per job. Visibility trails a change by
   * moments; the job detail always asks the workflow itself.
   */
  private async publishedStatuses(jobs: Job[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!this.temporal) return out;
    for (let i = 0; i < jobs.length; i += VISIBILITY_CHUNK) {
      // Identifiers and domains are [a-z0-9_-]: nothing to escape in the query.
      const ids = jobs.slice(i, i + VISIBILITY_CHUNK).map((j) => `'${jobWorkflowId(j.domain, j.identifier)}'`);
      const query = `WorkflowType = 'jobWorkflow' AND ExecutionStatus = 'Running' AND WorkflowId IN (${ids.join(',')})`;
      for await (const wf of this.temporal.workflow.list({ query, pageSize: VISIBILITY_CHUNK })) {
        const status = wf.typedSearchAttributes.get(JobStatusKey);
        if (status) out.set(wf.workflowId, status);
      }
    }
    return out;
  }

  /**
   * The rows' live states: from visibility where the status says enough, from the workflow
   * (bounded in parallel) where the row needs the phase or the next run time, or visibility
   * has nothing yet.
   */
  private async liveStates(jobs: Job[]): Promise<{ status: string; live?: JobView }[]> {
    let published = new Map<string, string>();
    try {
      published = await this.publishedStatuses(jobs);
    } catch {
      // Visibility unavailable: ask every workflow instead.
    }
    return mapBounded(jobs, LIVE_QUERY_CONCURRENCY, async (job) => {
      const status = published.get(jobWorkflowId(job.domain, job.identifier));
      if (status && !NEEDS_LIVE.has(status)) return { status };
      const live = await this.live(job);
      return { status: live?.status ?? 'unknown', live };
    });
  }

  /** The live state, or undefined when the workflow is gone or does not answer. */
  async live(job: Job): Promise<JobView | undefined> {
    try {
      return await this.service.liveState(job);
    } catch {
      return undefined;
    }
  }

  async list(f: JobListFilter) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (f.domain !== undefined) add('j.domain = ?', f.domain);
    if (f.q) {
      const like = `%${escapeLike(f.q)}%`;
      add('(j.name ilike ? or j.identifier ilike ?)', like, like);
    }
    if (f.mode) add('j.mode = ?', f.mode);
    if (f.taskType) add('j.task_type = ?', f.taskType);
    if (f.direction) add('j.direction = ?', f.direction);
    const byStatus = !!f.status?.length;
    // With a status filter, the page is cut after the live states are known.
    const page = byStatus ? `limit ${STATUS_FILTER_MAX_CANDIDATES + 1}` : 'limit ? offset ?';
    if (!byStatus) params.push(f.limit, f.offset);
    const sql = `
      select j.*, lr.ended_at as last_run_at, lr.status as last_outcome, lr.reason as last_reason,
        exists (select 1 from runs r join run_logs l on l.run_id = r.id where r.job_id = j.id and l.id > j.logs_read_up_to) as unread_logs,
        count(*) over () as total
      from jobs j
      left join lateral (
        select r.ended_at, r.status, r.reason from runs r where r.job_id = j.id and r.ended_at is not null order by r.number desc limit 1
      ) lr on true
      ${where.length ? `where ${where.join(' and ')}` : ''}
      order by ${SORT_SQL[f.sort]} ${f.desc ? 'desc nulls last' : 'asc nulls first'}, j.domain, j.identifier
      ${page}`;
    const em = this.orm.em.fork();
    const rows = await em.getConnection().execute<ListRow[]>(sql, params, 'all');
    if (byStatus && rows.length > STATUS_FILTER_MAX_CANDIDATES) {
      return { tooMany: true as const };
    }
    const jobs = rows.map((r) => ({ row: r, job: em.map(JobSchema, r) as Job }));
    let total = rows.length ? Number(rows[0]!.total) : 0;
    let shown = jobs;
    let states: { status: string; live?: JobView }[];
    if (byStatus) {
      const all = await this.liveStates(jobs.map((j) => j.job));
      const wanted = new Set<string>(f.status);
      const keep = jobs.map((j, i) => ({ j, state: all[i]! })).filter((x) => wanted.has(x.state.status));
      total = keep.length;
      const cut = keep.slice(f.offset, f.offset + f.limit);
      shown = cut.map((x) => x.j);
      states = cut.map((x) => x.state);
    } else {
      states = await this.liveStates(jobs.map((j) => j.job));
    }
    return {
      tooMany: false as const,
      total,
      items: shown.map(({ row, job }, i) => jobRow(job, row, states[i]!)),
    };
  }

  /** Whether the job has log lines nobody has read. */
  async unreadLogs(job: Job): Promise<boolean> {
    const rows = await this.orm.em.getConnection().execute<{ unread: boolean }[]>(
      'select exists (select 1 from runs r join run_logs l on l.run_id = r.id where r.job_id = ? and l.id > ?) as unread',
      [job.id, job.logsReadUpTo],
      'all',
    );
    return !!rows[0]?.unread;
  }

  /** Marks the job's logs as read up to a run-log id (never backwards). */
  async markLogsRead(jobId: string, upTo: string | number): Promise<void> {
    await this.orm.em.getConnection().execute('update jobs set logs_read_up_to = greatest(logs_read_up_to, cast(? as bigint)) where id = ?', [String(upTo), jobId]);
  }
}

function jobRow(job: Job, row: ListRow, { status, live }: { status: string; live?: JobView }) {
  const lastLive = live?.lastRuns[0];
  return {
    id: job.identifier,
    domain: job.domain,
    name: job.name,
    taskType: job.taskType,
    direction: job.direction,
    mode: job.mode,
    summary: configSummary(job),
    status,
    phase: live?.currentRun?.phase ?? null,
    active: job.active,
    lastRunAt: lastLive?.endedAt ?? row.last_run_at ?? null,
    lastOutcome: lastLive?.outcome ?? row.last_outcome ?? null,
    lastReason: lastLive?.reason ?? row.last_reason ?? null,
    nextRunAt: live?.nextRunAt ?? null,
    unreadLogs: !!row.unread_logs,
  };
}

export function describeTiming(t: Timing): string {
  const tz = t.timezone ? ` (${t.timezone})` : '';
  switch (t.kind) {
    case 'calendar':
      return `${t.days.map((d) => d.slice(0, 3).toLowerCase()).join(', ')} at ${t.times.join(', ')}${tz}`;
    case 'interval': {
      const every = t as { everyMinutes?: number; everySeconds?: number };
      return `every ${every.everyMinutes !== undefined ? `${every.everyMinutes} min` : `${every.everySeconds} s`}${tz}`;
    }
    case 'cron':
      return `cron "${t.expression}"${tz}`;
  }
}

function describeScheduling(s: Scheduling, mode: string): string {
  if (mode === 'on-demand') return 'on events';
  if (s.type === 'automatic') return 'automatic schedule';
  if (s.type === 'disabled') return 'run by hand only';
  return describeTiming(s.timing);
}

/** One line a person reads in the list: direction, task type, where from or to, and when. */
export function configSummary(job: Job): string {
  const where = job.direction === 'import' ? `from ${redactUrl(job.sourceUrl) ?? '?'}` : `to ${redactUrl(job.destinationUrl) ?? '?'}`;
  return `${job.direction} ${job.taskType} ${where}; ${describeScheduling(job.scheduling, job.mode)}`;
}
