import type pg from 'pg';
import type { Direction, RunTrigger } from '../domain/jobDefinition';
import { runWorkflowId } from '../contracts/workflowIds';
import { inTransaction } from '../db/transaction';

/**
 * A job's run slot: its open run record. Whoever starts a run (the job workflow, or a run its
 * Schedule started) takes the slot here, in one transaction under the job row's lock, which
 * also numbers the run and writes its record. So runs of one job never overlap and their
 * numbers never repeat, whichever of the two started them.
 */

/** The run holding a job's slot. */
export interface OpenRun {
  number: number;
  workflowId: string;
  trigger: RunTrigger;
  attempt: number;
  startedAt: string;
}

export interface SlotRequest {
  domain: string;
  jobId: string;
  trigger: RunTrigger;
  attempt: number;
  scheduledAt?: string;
  /**
   * A run its Schedule started: its own workflow id, the run's key (a retried claim finds its
   * run). Absent for the job workflow's runs, named run-<domain>-<job>-<number>.
   */
  workflowId?: string;
  /** The job workflow's last run number: numbers continue above it. */
  after?: number;
}

export type SlotClaim =
  /** The slot is the caller's: its run is numbered and recorded (found again on a retried claim). */
  | { taken: true; number: number; workflowId: string; startedAt: string; job: { direction: Direction; sendReport: boolean } }
  /** Another run holds it. */
  | { taken: false; heldBy: OpenRun }
  /** A scheduled run only: the job workflow must decide (the job is paused, halted, or owes a rerun). */
  | { taken: false; askJob: true }
  /** The job is gone. */
  | { taken: false; jobMissing: true };

interface OpenRunRow {
  number: number;
  workflow_id: string;
  trigger: RunTrigger;
  attempt: number;
  started_at: Date;
}

const openRunOf = (r: OpenRunRow): OpenRun => ({
  number: r.number, workflowId: r.workflow_id, trigger: r.trigger, attempt: r.attempt, startedAt: r.started_at.toISOString(),
});

/** Takes the job's run slot for a new run, or says who holds it. */
export function claimRunSlot(pool: pg.Pool, req: SlotRequest): Promise<SlotClaim> {
  return inTransaction(pool, async (c) => {
    const job = (await c.query<{ id: string; ask_job: boolean; send_report: boolean; direction: Direction }>(
      'select id, scheduled_runs_ask_job as ask_job, send_report, direction from jobs where domain = $1 and identifier = $2 for update',
      [req.domain, req.jobId],
    )).rows[0];
    if (!job) return { taken: false, jobMissing: true };
    const taken = (r: { number: number; workflow_id: string; started_at: Date }): SlotClaim => ({
      taken: true, number: r.number, workflowId: r.workflow_id, startedAt: r.started_at.toISOString(),
      job: { direction: job.direction, sendReport: job.send_report },
    });
    const open = (await c.query<OpenRunRow>(
      'select number, workflow_id, trigger, attempt, started_at from runs where job_id = $1 and ended_at is null order by number desc limit 1',
      [job.id],
    )).rows[0];
    if (open) {
      // A retried claim: the record this claim made before its answer was lost.
      const mine = req.workflowId
        ? open.workflow_id === req.workflowId
        : open.workflow_id === runWorkflowId(req.domain, req.jobId, open.number) && open.number > (req.after ?? 0);
      if (mine) return taken(open);
      // The job waits behind a run its Schedule started: that run tells it when it ends (jobWaitsForSlot).
      if (!req.workflowId) await c.query('update jobs set job_waits_for_slot = true where id = $1', [job.id]);
      return { taken: false, heldBy: openRunOf(open) };
    }
    if (req.workflowId) {
      const done = (await c.query<OpenRunRow>('select number, workflow_id, started_at from runs where workflow_id = $1 and job_id = $2', [req.workflowId, job.id])).rows[0];
      if (done) return taken(done);
      if (job.ask_job) return { taken: false, askJob: true };
    }
    const last = (await c.query<{ n: number }>('select coalesce(max(number), 0)::int as n from runs where job_id = $1', [job.id])).rows[0]!.n;
    const number = Math.max(last, req.after ?? 0) + 1;
    if (!req.workflowId) await c.query('update jobs set job_waits_for_slot = false where id = $1', [job.id]);
    const workflowId = req.workflowId ?? runWorkflowId(req.domain, req.jobId, number);
    const run = (await c.query<{ id: string; started_at: Date }>(
      `insert into runs (job_id, domain, number, workflow_id, trigger, attempt, status, scheduled_at)
       values ($1, $2, $3, $4, $5, $6, 'queued', $7) returning id, started_at`,
      [job.id, req.domain, number, workflowId, req.trigger, req.attempt, req.scheduledAt ?? null],
    )).rows[0]!;
    await c.query(
      `insert into run_logs (run_id, level, message, at) values ($1, 'info', $2, now())`,
      [run.id, `Run ${number} started (trigger: ${req.trigger}, attempt ${req.attempt}).`],
    );
    return taken({ number, workflow_id: workflowId, started_at: run.started_at });
  });
}

/**
 * Whether the job workflow waits for the slot a run its Schedule started has just released (its
 * record ended). Read under the job row's lock, after the end committed: a claim that saw the run
 * still open has said so by then, and one that comes later finds the slot free.
 */
export function jobWaitsForSlot(pool: pg.Pool, domain: string, jobId: string): Promise<boolean> {
  return inTransaction(pool, async (c) => (await c.query<{ waits: boolean }>(
    'select job_waits_for_slot as waits from jobs where domain = $1 and identifier = $2 for share', [domain, jobId],
  )).rows[0]?.waits ?? false);
}

/** The job's open run, if any. */
export async function openRun(pool: pg.Pool, domain: string, jobId: string): Promise<OpenRun | undefined> {
  const { rows } = await pool.query<OpenRunRow>(
    `select r.number, r.workflow_id, r.trigger, r.attempt, r.started_at from runs r join jobs j on j.id = r.job_id
     where j.domain = $1 and j.identifier = $2 and r.ended_at is null order by r.number desc limit 1`,
    [domain, jobId],
  );
  return rows[0] && openRunOf(rows[0]);
}

/** Whether the job's scheduled runs must ask the job workflow first (see the migration). */
export async function setScheduledRunsAskJob(pool: pg.Pool, domain: string, jobId: string, askJob: boolean): Promise<void> {
  await pool.query('update jobs set scheduled_runs_ask_job = $3 where domain = $1 and identifier = $2', [domain, jobId, askJob]);
}
