import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import { ABNORMAL_RUN_END } from '../domain/failures';
import type { RunTrigger } from '../domain/jobDefinition';
import { logger } from '../infra/logger';
import { claimRunSlot, jobWaitsForSlot, openRun, setScheduledRunsAskJob, type OpenRun } from '../io/runSlot';
import type { ActivityDeps } from './deps';
import type { notificationActivities } from './notifications';
import type { runPhaseActivities } from './runPhases';
import type { RunEnd, runRecordActivities } from './runRecords';

/** What a run its Schedule started did: ran (with its outcome), or left the decision to the job workflow. */
export type ScheduledRunResult =
  | { ran: true; number: number; startedAt: string; end: RunEnd; jobWaits: boolean }
  | { ran: false; heldBy?: OpenRun };

const jobMissing = (domain: string, jobId: string) =>
  ApplicationFailure.nonRetryable(`Job ${domain}/${jobId} does not exist (deleted?).`, 'JobMissing');

/**
 * The run slot's activities (io/runSlot.ts): the job workflow takes the slot before it starts a
 * run; a run its Schedule started takes it, and runs, in one activity.
 */
export function runSlotActivities(parts: {
  deps: ActivityDeps;
  records: ReturnType<typeof runRecordActivities>;
  phases: ReturnType<typeof runPhaseActivities>;
  notifications: ReturnType<typeof notificationActivities>;
}) {
  const { deps: { pool, temporal }, records, phases, notifications } = parts;

  /** Whether the run holding the slot still has a running workflow; if not, its record is closed as failed. */
  const releaseIfGone = async (domain: string, jobId: string, holder: OpenRun): Promise<boolean> => {
    let running: boolean;
    try {
      running = (await temporal.workflow.getHandle(holder.workflowId).describe()).status.name === 'RUNNING';
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
      running = false;
    }
    if (running) return false;
    logger.warn({ domain, jobId, runNumber: holder.number, workflowId: holder.workflowId }, 'run slot held by a run whose workflow ended without recording it: closed as failed');
    await records.recordRunEnd({ domain, jobId, runNumber: holder.number, outcome: 'failed', reason: ABNORMAL_RUN_END });
    return true;
  };

  return {
    /**
     * The job workflow's run: the slot, its number and record, or the run that holds it. A holder
     * whose workflow ended without closing its record (an operator terminated it) is closed first.
     */
    async takeRunSlot(input: { domain: string; jobId: string; trigger: RunTrigger; attempt: number; scheduledAt?: string; after: number }): Promise<{ number: number } | { heldBy: OpenRun }> {
      for (;;) {
        const claim = await claimRunSlot(pool, input);
        if (claim.taken) return { number: claim.number };
        if ('jobMissing' in claim) throw jobMissing(input.domain, input.jobId);
        if (!('heldBy' in claim)) throw new Error('unreachable: the job workflow never asks itself');
        if (!(await releaseIfGone(input.domain, input.jobId, claim.heldBy))) return { heldBy: claim.heldBy };
      }
    },

    /**
     * A run its Schedule started (workflows/scheduledJobRunWorkflow.ts): the slot, the start
     * email, the phases and the record's end, in one activity task. When another run holds the
     * slot, or the job must decide (paused, halted, a rerun due), nothing runs: the workflow
     * hands the scheduled time to the job workflow, as a tick did.
     */
    async runOnSchedule(input: { domain: string; jobId: string; scheduledAt: string; workflowId: string }): Promise<ScheduledRunResult> {
      const claim = await claimRunSlot(pool, { ...input, trigger: 'schedule', attempt: 1 });
      if (!claim.taken) {
        if ('jobMissing' in claim) throw jobMissing(input.domain, input.jobId);
        return { ran: false, heldBy: 'heldBy' in claim ? claim.heldBy : undefined };
      }
      const ref = { domain: input.domain, jobId: input.jobId, runNumber: claim.number };
      // Beside the run, never in its way: a mail outage is logged, and the run goes on.
      const report = async (notice: 'started' | 'ended') => {
        if (!claim.job.sendReport) return;
        await notifications.notifyRun({ ...ref, notice, trigger: 'schedule', attempt: 1 })
          .catch((e: unknown) => logger.warn({ ...ref, error: String(e) }, 'report email not sent'));
      };
      await report('started');
      const end = await phases.runPhases({ ...ref, trigger: 'schedule', attempt: 1, scheduledAt: input.scheduledAt, direction: claim.job.direction });
      // The end email of a run that went well; a failure's email is the job's to decide (noticeAfterRun).
      if (end.outcome !== 'failed' && end.outcome !== 'halted') await report('ended');
      return { ran: true, number: claim.number, startedAt: claim.startedAt, end, jobWaits: await jobWaitsForSlot(pool, input.domain, input.jobId) };
    },

    /** Closes the record of a run its Schedule started whose activity failed or was canceled; none if it never took the slot. */
    async recordScheduledRunEnd(input: { domain: string; jobId: string; workflowId: string; outcome: 'failed' | 'halted' | 'canceled'; reason: string }): Promise<{ number: number; startedAt: string; end: RunEnd } | undefined> {
      const run = (await pool.query<{ number: number; started_at: Date }>('select number, started_at from runs where workflow_id = $1', [input.workflowId])).rows[0];
      if (!run) return undefined;
      const end = await records.recordRunEnd({ domain: input.domain, jobId: input.jobId, runNumber: run.number, outcome: input.outcome, reason: input.reason });
      return { number: run.number, startedAt: run.started_at.toISOString(), end };
    },

    /** The job's run in progress, as its record says (a run its Schedule started, which the job hears of only at its end). */
    async findOpenRun(input: { domain: string; jobId: string }): Promise<OpenRun | undefined> {
      return openRun(pool, input.domain, input.jobId);
    },

    /** Whether the job's scheduled runs ask the job workflow first; written by the job workflow as its state changes. */
    async setScheduledRunsAskJob(input: { domain: string; jobId: string; askJob: boolean }): Promise<void> {
      await setScheduledRunsAskJob(pool, input.domain, input.jobId, input.askJob);
    },
  };
}
