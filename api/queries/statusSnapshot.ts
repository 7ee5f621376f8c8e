import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { JobStatusKey } from '../../contracts/searchAttributes';

/**
 * The job workflows whose published status (the JobStatus search attribute) is one only the
 * workflow knows: running, paused or halted. Usually few, so one visibility listing of the
 * whole namespace, shared by every list request for FRESH_MS, answers for every row; a count
 * of the running job workflows, compared with the jobs in PostgreSQL, tells whether every job
 * has one. When they differ (a workflow just started or gone, or another database's jobs in
 * the namespace), or the listing is long, the snapshot declines and the list asks visibility
 * about its own rows instead.
 */
export const WORKFLOW_ONLY_STATUSES = ['running', 'paused', 'halted'] as const;
const FRESH_MS = 1_000;
const MAX_ROWS = 1_000;

export class StatusSnapshot {
  private snapshot?: { at: number; statuses: Map<string, string> | undefined };
  private loading?: Promise<Map<string, string> | undefined>;

  constructor(
    private readonly orm: MikroORM,
    private readonly temporal: Client | undefined,
    private readonly freshMs = FRESH_MS,
  ) {}

  /** Workflow id → running, paused or halted, for every job workflow; undefined when the snapshot cannot answer. */
  async get(now = Date.now()): Promise<Map<string, string> | undefined> {
    if (!this.temporal) return undefined;
    const s = this.snapshot;
    if (s && now - s.at < this.freshMs) return s.statuses;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    try {
      return await this.loading;
    } catch {
      return undefined;
    }
  }

  private async load(): Promise<Map<string, string> | undefined> {
    const at = Date.now();
    const base = `WorkflowType = 'jobWorkflow' AND ExecutionStatus = 'Running'`;
    const listing = async () => {
      const out = new Map<string, string>();
      const query = `${base} AND JobStatus IN (${WORKFLOW_ONLY_STATUSES.map((s) => `'${s}'`).join(',')})`;
      for await (const wf of this.temporal!.workflow.list({ query, pageSize: MAX_ROWS })) {
        const status = wf.typedSearchAttributes.get(JobStatusKey);
        if (status) out.set(wf.workflowId, status);
        if (out.size > MAX_ROWS) return undefined;
      }
      return out;
    };
    const [running, statuses, jobs] = await Promise.all([
      this.temporal!.workflow.count(base),
      listing(),
      this.orm.em.getConnection().execute<{ n: string }[]>('select count(*) as n from jobs', [], 'all'),
    ]);
    const complete = statuses && running.count === Number(jobs[0]?.n);
    this.snapshot = { at, statuses: complete ? statuses : undefined };
    return this.snapshot.statuses;
  }
}
