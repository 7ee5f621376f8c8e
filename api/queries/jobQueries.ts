import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Job } from '../../db/entities';
import { LAST_RUNS_KEPT, type JobStatus, type RunSummary } from '../../domain/jobLifecycle';
import type { RunTrigger } from '../../domain/jobDefinition';
import { pickCounters, type RunCounters, type RunOutcome } from '../../domain/runStatus';
import { jobScheduleId, jobWorkflowId } from '../../contracts/workflowIds';
import type { JobView } from '../../contracts/messages';
import { JobStatusKey } from '../../contracts/searchAttributes';
import { ScheduleTimes } from './scheduleTimes';
import { StatusSnapshot, WORKFLOW_ONLY_STATUSES } from './statusSnapshot';
import { mapBounded } from '../../infra/mapBounded';
import { configSummary, currentPhase, jobIcon, type JobIcon } from './display';
import { hasSchedule } from '../../taskTypes/jobTiming';
import { liveJobState } from './liveState';
import type { OpenRun } from '../../io/runSlot';

/**
 * The job list: filters, sorting and pagination run in one SQL query that also reads each
 * row's last run, its run in progress (the phase) and the unread-logs flag, without entity
 * hydration. The live status comes from the job workflows without asking them one by one:
 * PostgreSQL knows the setup status, whether a run is in progress (its record is open) and
 * whether the job has a schedule; paused and halted (and running, from job workflows recorded
 * before LEAN_JOB_PATCH) are what the job workflows published to Temporal visibility (the
 * JobStatus search attribute), read from a snapshot shared for a second (StatusSnapshot), or
 * when it declines, asked about the page's rows (which of them are paused or halted, and how many
 * have a running workflow at all). The rare rows whose workflow visibility does not know
 * (just created, or gone) are asked directly. The next run time comes from the Temporal
 * Schedules (ScheduleTimes). Like visibility, the list trails a change by moments; the job
 * detail always asks the workflow itself.
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
  /** Only jobs showing one of these icons (jobIcon: live status and last outcome). */
  icon?: JobIcon[];
  q?: string;
  mode?: string;
  taskType?: string;
  direction?: string;
  sort: JobSort;
  desc: boolean;
  limit: number;
  offset: number;
}

/** How many job workflows one list request queries at once (only rows visibility cannot answer). */
const LIVE_QUERY_CONCURRENCY = 32;
/** A status filter needs every candidate's live state; past this many candidates it is refused. */
export const STATUS_FILTER_MAX_CANDIDATES = 5000;

/** How many ended runs each row of the list shows as icons. */
const LAST_RUNS_LISTED = 5;

/** One row of the list query: the job's columns the list shows, its last and current run. */
interface ListRow {
  id: string;
  domain: string;
  identifier: string;
  name: string;
  task_type: string;
  direction: Job['direction'];
  mode: Job['mode'];
  source_url: string | null;
  destination_url: string | null;
  scheduling: Job['scheduling'];
  active: boolean;
  setup_status: Job['setupStatus'];
  /** As PostgreSQL writes it (MikroORM's type parsers); shown in ISO 8601, as the job detail shows times. */
  last_run_at: string | Date | null;
  last_outcome: string | null;
  last_reason: string | null;
  /** Status of the run in progress (queued, or its phase), if any. */
  current_status: string | null;
  unread_logs: boolean;
  /** The last ended runs, newest first (seed 001's "Last 5 runs" column), from the unique (job_id, number) index. */
  last_runs: { number: number; outcome: string; reason: string | null }[];
  total: string;
}

/** An ended run as the detail query reads it (json: times as strings). */
interface EndedRunRow extends RunCounters {
  number: number;
  trigger: RunTrigger;
  attempt: number;
  status: RunOutcome;
  reason: string | null;
  started_at: string;
  ended_at: string;
}

const endedRun = (r: EndedRunRow): RunSummary => ({
  number: r.number, trigger: r.trigger, attempt: r.attempt, outcome: r.status, reason: r.reason ?? undefined,
  counters: pickCounters(r), startedAt: new Date(r.started_at).toISOString(), endedAt: new Date(r.ended_at).toISOString(),
});

/** One row of the detail query: every column of the job the API shows, and the unread flag. */
interface DetailRow {
  id: string;
  domain: string;
  identifier: string;
  description: string;
  name: string;
  task_type: string;
  direction: Job['direction'];
  mode: Job['mode'];
  rules: Job['rules'];
  source_url: string | null;
  destination_url: string | null;
  scheduling: Job['scheduling'];
  timezone: string;
  active: boolean;
  recipients: string[];
  send_report: boolean;
  setup_status: Job['setupStatus'];
  sampling_problems: string[];
  logs_read_up_to: string | number;
  /** Timestamps come back as PostgreSQL writes them (MikroORM's type parsers), not as Dates. */
  created_at: string | Date;
  updated_at: string | Date;
  unread_logs: boolean;
  /** The open run record (a run in progress) with its status (queued, or its phase), as json. */
  open_run: (Omit<OpenRun, 'startedAt'> & { startedAt: string; status: string }) | null;
  /** The last ended runs, newest first (one more than shown: the job workflow may not have taken in the newest yet). */
  recent_runs: EndedRunRow[];
  /** The missed-schedule ledger's counts by reason (null: none). */
  missed_by_reason: Record<string, number> | null;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Statuses only the job workflow knows (PostgreSQL knows the setup status and the schedule). */
const WORKFLOW_ONLY: readonly string[] = WORKFLOW_ONLY_STATUSES;
/** Statuses whose list row shows the next run time. */
const SHOWS_NEXT_RUN = new Set(['running', 'scheduled']);
/** Workflow ids per visibility query. */
const VISIBILITY_CHUNK = 200;

type Live = { status: string; live?: JobView };

export class JobQueries {
  private readonly scheduleTimes: ScheduleTimes;
  private readonly statusSnapshot: StatusSnapshot;

  constructor(
    private readonly orm: MikroORM,
    private readonly temporal: Client,
  ) {
    this.scheduleTimes = new ScheduleTimes(temporal);
    this.statusSnapshot = new StatusSnapshot(orm, temporal);
  }

  /**
   * The rows' statuses: the setup status, a run in progress and the schedule from PostgreSQL, paused
   * and halted from visibility (two small queries per 200 rows: those statuses, and a count
   * of the running job workflows). Rows visibility has no running workflow for (just created,
   * or gone) are asked directly, as is every row when visibility does not answer.
   */
  private async statuses(rows: ListRow[]): Promise<Live[]> {
    const derived = rows.map((r) => this.derivedStatus(r));
    const out: (Live | undefined)[] = rows.map((_, i) => (derived[i] !== 'scheduled' && derived[i] !== 'unscheduled' ? { status: derived[i]! } : undefined));
    const snapshot = out.some((o) => !o) ? await this.statusSnapshot.get() : undefined;
    if (snapshot) return rows.map((r, i) => out[i] ?? { status: snapshot.get(jobWorkflowId(r.domain, r.identifier)) ?? derived[i]! });
    const askDirectly: number[] = [];
    const chunks: number[][] = [];
    const pending = rows.map((_, i) => i).filter((i) => !out[i]);
    for (let i = 0; i < pending.length; i += VISIBILITY_CHUNK) chunks.push(pending.slice(i, i + VISIBILITY_CHUNK));
    await Promise.all(chunks.map(async (chunk) => {
      try {
        const published = await this.workflowOnlyStatuses(chunk.map((i) => rows[i]!));
        for (const i of chunk) {
          const p = published.get(jobWorkflowId(rows[i]!.domain, rows[i]!.identifier));
          if (p === undefined) askDirectly.push(i);
          else out[i] = { status: p ?? derived[i]! };
        }
      } catch {
        askDirectly.push(...chunk); // visibility unavailable: ask the workflows
      }
    }));
    await mapBounded(askDirectly, LIVE_QUERY_CONCURRENCY, async (i) => {
      const live = await this.live(rows[i]!);
      out[i] = { status: live?.status ?? 'unknown', live };
    });
    return out as Live[];
  }

  /**
   * For each row's job workflow: its published status when it is one only the workflow
   * knows (running, paused, halted), null when it has another, and nothing (absent from the
   * map) when visibility knows no running job workflow for it.
   */
  private async workflowOnlyStatuses(rows: ListRow[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (!this.temporal) return out;
    // Identifiers and domains are [a-z0-9_-]: nothing to escape in the query.
    const base = `WorkflowType = 'jobWorkflow' AND ExecutionStatus = 'Running' AND WorkflowId IN (${rows.map((r) => `'${jobWorkflowId(r.domain, r.identifier)}'`).join(',')})`;
    const special = `${base} AND JobStatus IN (${WORKFLOW_ONLY.map((s) => `'${s}'`).join(',')})`;
    const [count, listed] = await Promise.all([this.temporal.workflow.count(base), this.listStatuses(special)]);
    const all = count.count === rows.length ? undefined : await this.listStatuses(base);
    for (const r of rows) {
      const id = jobWorkflowId(r.domain, r.identifier);
      if (all && !all.has(id)) continue;
      const s = listed.get(id) ?? (all ? all.get(id) : undefined);
      out.set(id, s && WORKFLOW_ONLY.includes(s) ? s : null);
    }
    return out;
  }

  private async listStatuses(query: string): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    for await (const wf of this.temporal!.workflow.list({ query, pageSize: VISIBILITY_CHUNK })) out.set(wf.workflowId, wf.typedSearchAttributes.get(JobStatusKey));
    return out;
  }

  /** What PostgreSQL alone says of the status: the setup status, a run in progress, else whether the job has a schedule. */
  private derivedStatus(r: ListRow): JobStatus {
    if (r.setup_status !== 'ready') return r.setup_status;
    // A run record open is a run in progress; job workflows no longer publish `running` (workflows/jobWorkflow.ts, LEAN_JOB_PATCH).
    if (r.current_status) return 'running';
    return hasSchedule({ mode: r.mode, taskType: r.task_type, scheduling: r.scheduling }) ? 'scheduled' : 'unscheduled';
  }

  /** The live state, or undefined when the workflow is gone or does not answer (never throws). */
  live(job: Pick<Job, 'domain' | 'identifier'>): Promise<JobView | undefined> {
    return liveJobState(this.temporal, job);
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
    // With a status or icon filter, the page is cut after the live states are known.
    const byStatus = !!f.status?.length || !!f.icon?.length;
    const page = byStatus ? `limit ${STATUS_FILTER_MAX_CANDIDATES + 1}` : 'limit ? offset ?';
    if (!byStatus) params.push(f.limit, f.offset);
    const order = `${SORT_SQL[f.sort]} ${f.desc ? 'desc nulls last' : 'asc nulls first'}, j.domain, j.identifier`;
    const lastRun = `left join lateral (
        select r.ended_at, r.status, r.reason from runs r where r.job_id = j.id and r.ended_at is not null order by r.number desc limit 1
      ) lr on true`;
    // The page is chosen first (the total counted over the bare filter), so the runs and logs
    // are read only for the rows shown.
    const sql = `
      with page as (
        select j.id, count(*) over () as total, row_number() over (order by ${order}) as ord
        from jobs j
        ${f.sort === 'lastRunAt' ? lastRun : ''}
        ${where.length ? `where ${where.join(' and ')}` : ''}
        order by ${order}
        ${page}
      )
      select j.id, j.domain, j.identifier, j.name, j.task_type, j.direction, j.mode, j.source_url, j.destination_url,
        j.scheduling, j.active, j.setup_status,
        lr.ended_at as last_run_at, lr.status as last_outcome, lr.reason as last_reason,
        (select r.status from runs r where r.job_id = j.id and r.ended_at is null order by r.number desc limit 1) as current_status,
        exists (select 1 from runs r join run_logs l on l.run_id = r.id where r.job_id = j.id and l.id > j.logs_read_up_to) as unread_logs,
        (select coalesce(json_agg(x order by x.number desc), '[]'::json) from (
           select r.number, r.status as outcome, r.reason from runs r where r.job_id = j.id and r.ended_at is not null order by r.number desc limit ${LAST_RUNS_LISTED}
         ) x) as last_runs,
        p.total
      from page p
      join jobs j on j.id = p.id
      ${lastRun}
      order by p.ord`;
    const rows = await this.orm.em.getConnection().execute<ListRow[]>(sql, params, 'all');
    if (byStatus && rows.length > STATUS_FILTER_MAX_CANDIDATES) {
      return { tooMany: true as const };
    }
    let total = rows.length ? Number(rows[0]!.total) : 0;
    let shown = rows;
    let states: Live[];
    if (byStatus) {
      const all = await this.statuses(rows);
      const statuses = f.status?.length ? new Set<string>(f.status) : undefined;
      const icons = f.icon?.length ? new Set<string>(f.icon) : undefined;
      const keep = rows.map((row, i) => ({ row, state: all[i]! }))
        .filter((x) => (!statuses || statuses.has(x.state.status)) && (!icons || icons.has(jobIcon(x.state.status, x.row.last_outcome))));
      total = keep.length;
      const cut = keep.slice(f.offset, f.offset + f.limit);
      shown = cut.map((x) => x.row);
      states = cut.map((x) => x.state);
    } else {
      states = await this.statuses(rows);
    }
    const nextRuns = await this.nextRunTimes(shown, states);
    return {
      tooMany: false as const,
      total,
      items: shown.map((row, i) => jobRow(row, states[i]!, nextRuns[i] ?? null)),
    };
  }

  /**
   * The next run time of the rows that show one (scheduled or running): from the Temporal
   * Schedules' own next action times, read in one listing shared by every request for a few
   * seconds. The job workflow's own copy is refreshed only when the job is paused or
   * reactivated, so it serves only a schedule that listing does not have yet.
   */
  private async nextRunTimes(rows: ListRow[], states: Live[]): Promise<(string | null)[]> {
    const wanted = rows.map((row, i) => SHOWS_NEXT_RUN.has(states[i]!.status) && hasSchedule({ mode: row.mode, taskType: row.task_type, scheduling: row.scheduling }));
    const times = wanted.some(Boolean) ? await this.scheduleTimes.get() : undefined;
    return mapBounded(rows, LIVE_QUERY_CONCURRENCY, async (row, i) =>
      wanted[i] ? nextRunOf(times, row, async () => states[i]!.live ?? this.live(row)) : null);
  }

  /** The job's next run time, for its detail: as the list shows it (none while paused or halted). Never throws. */
  async nextRunAt(job: Pick<Job, 'domain' | 'identifier'>, live: Promise<JobView | undefined>): Promise<string | null> {
    const [times, state] = await Promise.all([this.scheduleTimes.get(), live]);
    if (!state || !SHOWS_NEXT_RUN.has(state.status)) return null;
    return nextRunOf(times, job, async () => state);
  }

  /**
   * The job's definition and its unread-logs flag in one plain query (no entity hydration),
   * for the job detail; undefined when the job does not exist.
   */
  async definitionWithUnread(domain: string, identifier: string): Promise<{ job: Job; unreadLogs: boolean; currentStatus: string | null; openRun: OpenRun | null; recentRuns: RunSummary[]; missedByReason: Record<string, number> | null } | undefined> {
    const [r] = await this.orm.em.getConnection().execute<DetailRow[]>(
      `select j.id, j.domain, j.identifier, j.description, j.name, j.task_type, j.direction, j.mode, j.rules, j.source_url, j.destination_url,
         j.scheduling, j.timezone, j.active, j.recipients, j.send_report, j.setup_status, j.sampling_problems, j.logs_read_up_to, j.created_at, j.updated_at,
         exists (select 1 from runs r join run_logs l on l.run_id = r.id where r.job_id = j.id and l.id > j.logs_read_up_to) as unread_logs,
         (select json_build_object('number', r.number, 'workflowId', r.workflow_id, 'trigger', r.trigger, 'attempt', r.attempt, 'startedAt', r.started_at, 'status', r.status)
            from runs r where r.job_id = j.id and r.ended_at is null order by r.number desc limit 1) as open_run,
         (select coalesce(json_agg(e order by e.number desc), '[]') from (
            select r.number, r.trigger, r.attempt, r.status, r.reason, r.read, r.inserted, r.updated, r.unchanged, r.deleted, r.skipped,
              r.warnings, r.rejected, r.started_at, r.ended_at
            from runs r where r.job_id = j.id and r.ended_at is not null order by r.number desc limit ${LAST_RUNS_KEPT + 1}) e) as recent_runs,
         (select json_object_agg(m.reason, m.n) from (select reason, count(*) as n from missed_schedules where job_id = j.id group by reason) m) as missed_by_reason
       from jobs j where j.domain = ? and j.identifier = ?`,
      [domain, identifier],
      'all',
    );
    if (!r) return undefined;
    const job: Job = {
      id: r.id, domain: r.domain, identifier: r.identifier, description: r.description, name: r.name, taskType: r.task_type,
      direction: r.direction, mode: r.mode, rules: r.rules, sourceUrl: r.source_url, destinationUrl: r.destination_url,
      scheduling: r.scheduling, timezone: r.timezone, active: r.active, recipients: r.recipients, sendReport: r.send_report,
      setupStatus: r.setup_status, samplingProblems: r.sampling_problems, logsReadUpTo: String(r.logs_read_up_to),
      createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
    };
    const { status: currentStatus = null, ...open } = r.open_run ?? {};
    const openRun = r.open_run && { ...open as OpenRun, startedAt: new Date(r.open_run.startedAt).toISOString() };
    return { job, unreadLogs: !!r.unread_logs, currentStatus, openRun, recentRuns: r.recent_runs.map(endedRun), missedByReason: r.missed_by_reason };
  }

  /** Marks the job's logs as read up to a run-log id (never backwards). */
  async markLogsRead(jobId: string, upTo: string | number): Promise<void> {
    await this.orm.em.getConnection().execute('update jobs set logs_read_up_to = greatest(logs_read_up_to, cast(? as bigint)) where id = ?', [String(upTo), jobId]);
  }
}

/**
 * A job's next run: the first of its schedule's listed action times still ahead; for a
 * schedule the listing does not have yet, the job workflow's copy if still ahead (it is
 * refreshed only when the job is paused or reactivated). `live` is asked only then.
 */
async function nextRunOf(
  times: Map<string, Date[]> | undefined, job: Pick<Job, 'domain' | 'identifier'>, live: () => Promise<JobView | undefined>,
): Promise<string | null> {
  const now = Date.now();
  const listed = times?.get(jobScheduleId(job.domain, job.identifier));
  if (listed) return listed.find((d) => d.getTime() > now)?.toISOString() ?? null;
  const own = (await live())?.nextRunAt;
  return own && Date.parse(own) > now ? own : null;
}

function jobRow(row: ListRow, { status, live }: Live, nextRunAt: string | null) {
  // The run records first: the job workflow does not hear of every run its Schedule started.
  const lastLive = row.last_run_at ? undefined : live?.lastRuns[0];
  const phase = currentPhase(status, row.current_status, live);
  return {
    id: row.identifier,
    domain: row.domain,
    name: row.name,
    taskType: row.task_type,
    direction: row.direction,
    mode: row.mode,
    summary: configSummary({ direction: row.direction, taskType: row.task_type, sourceUrl: row.source_url, destinationUrl: row.destination_url, scheduling: row.scheduling, mode: row.mode }),
    status,
    phase,
    active: row.active,
    lastRunAt: lastLive?.endedAt ?? (row.last_run_at ? new Date(row.last_run_at).toISOString() : null),
    lastOutcome: lastLive?.outcome ?? row.last_outcome ?? null,
    lastReason: lastLive?.reason ?? row.last_reason ?? null,
    nextRunAt,
    unreadLogs: !!row.unread_logs,
    lastRuns: row.last_runs ?? [],
  };
}
