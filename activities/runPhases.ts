import { ApplicationFailure, Context } from '@temporalio/activity';
import type pg from 'pg';
import { RUN_CANCELED_TYPE } from '../domain/failures';
import type { Direction, RunTrigger } from '../domain/jobDefinition';
import { outcomeOf, type RunCounters, type RunPhase } from '../domain/runStatus';
import type { RunRef } from '../contracts/workflowIds';
import { phaseDuration } from '../infra/metrics';
import type { exportActivities } from './exportPhases';
import type { importActivities } from './importPhases';
import type { runRecordActivities, RunEnd } from './runRecords';

export interface RunPhasesInput extends RunRef {
  trigger: RunTrigger;
  attempt: number;
  scheduledAt?: string;
  direction: Direction;
}

type Phase = (ref: RunRef) => Promise<RunCounters>;

/**
 * A whole run in one activity (workflows/runWorkflow.ts, ONE_ACTIVITY_RUN_PATCH): its record's
 * start, its data phases in order, and its record's end with the outcome. One activity task
 * instead of three to five and their workflow tasks (12 history events and 3 billable actions
 * a run): for the many runs that move a few rows, Temporal's work was most of the run's cost.
 * Each step is idempotent (a record made once, a phase's commit marker checked first), so a
 * retried attempt passes quickly over what is done and goes on where the last one stopped.
 * A failure or a cancel ends the activity, and the workflow records the end as before.
 */
export function runPhaseActivities(parts: {
  pool: pg.Pool;
  records: ReturnType<typeof runRecordActivities>;
  imports: ReturnType<typeof importActivities>;
  exports: ReturnType<typeof exportActivities>;
}) {
  const { pool, records, imports, exports } = parts;
  /** Whether a person asked to cancel the run (the API writes it before Temporal's cancel). */
  const cancelRequested = async (ref: RunRef) => (await pool.query(
    `select 1 from runs r join jobs j on j.id = r.job_id
     where j.domain = $1 and j.identifier = $2 and r.number = $3 and r.cancel_requested_at is not null`,
    [ref.domain, ref.jobId, ref.runNumber],
  )).rowCount! > 0;
  /** The phases a run of this direction goes through, in order, each with the activity code that does it. */
  const phaseStepsFor = (direction: Direction): [RunPhase, Phase][] => (direction === 'import'
    ? [['validating', imports.validateImport], ['processing', imports.processImport], ['importing', imports.loadImport]]
    : [['extracting', exports.extractExport], ['delivering', exports.deliverExport]]);

  return {
    async runPhases(input: RunPhasesInput): Promise<RunEnd> {
      const ref: RunRef = { domain: input.domain, jobId: input.jobId, runNumber: input.runNumber };
      await records.recordRunStart(input);
      let counters: RunCounters | undefined;
      for (const [phase, run] of phaseStepsFor(input.direction)) {
        // A cancel stops the run before its next phase, as the workflow did when the phases were
        // activities of their own: a person's from the record, an operator's (Temporal Web) once
        // a heartbeat's answer brought it.
        const ctx = Context.current();
        ctx.heartbeat();
        if (ctx.cancellationSignal.aborted || (counters && await cancelRequested(ref))) {
          throw ApplicationFailure.nonRetryable('Canceled by a person.', RUN_CANCELED_TYPE);
        }
        const started = performance.now();
        let result: 'ok' | 'error' = 'error';
        try {
          counters = await run(ref);
          result = 'ok';
        } finally {
          phaseDuration.observe({ phase, result }, (performance.now() - started) / 1000);
        }
      }
      return records.recordRunEnd({ ...ref, outcome: outcomeOf(counters!) });
    },
  };
}
