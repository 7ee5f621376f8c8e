import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import { JobSchema, RunLogSchema, RunSchema, type Job, type Run, type RunLog } from '../db/entities';
import { type RunTrigger } from '../domain/jobDefinition';
import { runWorkflowId } from '../contracts/workflowIds';
import { countersPhrase, failedPercent, outcomeOf, pickCounters, reportedCounters, type RunCounters, type RunOutcome } from '../domain/runStatus';
import type { RunRef } from '../contracts/workflowIds';
import type { ActivityDeps } from './deps';
import { dropStaging } from '../io/import/staging';
import { setScheduledRunsAskJob } from '../io/runSlot';

/** The run-history table, written at each run's start and end (the API lists runs from it). */

export const countersOf = (run: Run): RunCounters => pickCounters(run);

export interface RunEnd {
  outcome: RunOutcome;
  reason?: string;
  /** What the workflow keeps (the run record's columns). */
  counters: RunCounters;
  /** The same under the names people read (exports: extracted, delivered), for the metrics. */
  reported: Record<string, number>;
}

export async function findJob(em: EntityManager, domain: string, identifier: string): Promise<Job> {
  const job = await em.findOne(JobSchema, { domain, identifier });
  if (!job) throw ApplicationFailure.nonRetryable(`Job ${domain}/${identifier} does not exist (deleted?).`, 'JobMissing');
  return job;
}

export async function findRun(em: EntityManager, ref: RunRef): Promise<{ job: Job; run: Run }> {
  const job = await findJob(em, ref.domain, ref.jobId);
  const run = await em.findOne(RunSchema, { jobId: job.id, number: ref.runNumber });
  if (!run) throw new Error(`Run ${ref.runNumber} of job ${ref.domain}/${ref.jobId} has no record yet.`);
  return { job, run };
}

export async function appendLog(em: EntityManager, runId: string, level: RunLog['level'], message: string): Promise<void> {
  em.persist(em.create(RunLogSchema, { runId, level, message, at: new Date() } as RunLog));
  await em.flush();
}

export function runRecordActivities({ orm, pool }: ActivityDeps) {
  return {
    /** Creates the run's record; a retried call finds it already there. */
    async recordRunStart(ref: RunRef & { trigger: RunTrigger; attempt: number; scheduledAt?: string }): Promise<void> {
      const em = orm.em.fork();
      const job = await findJob(em, ref.domain, ref.jobId);
      const existing = await em.findOne(RunSchema, { jobId: job.id, number: ref.runNumber });
      if (existing) return;
      const run = em.create(RunSchema, {
        jobId: job.id, domain: job.domain, number: ref.runNumber,
        workflowId: runWorkflowId(ref.domain, ref.jobId, ref.runNumber),
        trigger: ref.trigger, attempt: ref.attempt, status: 'queued',
        read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0, warnings: 0, rejected: 0,
        warningsByKind: {}, failedPct: 0, startedAt: new Date(), sourceFiles: [],
        scheduledAt: ref.scheduledAt ? new Date(ref.scheduledAt) : null,
      } as unknown as Run);
      await em.persistAndFlush(run);
      await appendLog(em, run.id, 'info', `Run ${ref.runNumber} started (trigger: ${ref.trigger}, attempt ${ref.attempt}).`);
    },

    /**
     * Writes the run's outcome. The database has the last word on what happened: a run
     * whose load committed is never recorded as canceled or failed.
     */
    async recordRunEnd(ref: RunRef & { outcome: RunOutcome; reason?: string }): Promise<RunEnd> {
      const em = orm.em.fork();
      const { job, run } = await findRun(em, ref);
      const counters = countersOf(run);
      let { outcome, reason } = ref;
      if (run.committedAt) {
        outcome = outcomeOf(counters);
        reason = undefined;
      }
      run.status = outcome;
      run.reason = reason ?? null;
      run.failedPct = failedPercent(counters);
      const summary = countersPhrase(job.direction, counters);
      // The closing log line and the end time in one flush: a reader who sees the run ended sees its last line.
      if (!run.endedAt) {
        run.endedAt = new Date();
        em.persist(em.create(RunLogSchema, {
          runId: run.id, at: run.endedAt, level: outcome === 'failed' || outcome === 'halted' ? 'error' : 'info',
          message: `Run ${outcome}${reason ? `: ${reason}` : ''} (${summary}).`,
        } as RunLog));
      }
      await em.flush();
      // A run that failed or halted may mean a rerun or a halt: until the job workflow has decided,
      // the runs its Schedule starts ask it first (io/runSlot.ts).
      if (outcome === 'failed' || outcome === 'halted') await setScheduledRunsAskJob(pool, job.domain, job.identifier, true);
      await dropStaging(pool, run.id);
      return { outcome, reason, counters, reported: reportedCounters(job.direction, counters) };
    },
  };
}
