import type pg from 'pg';
import { batchSizeOf, type RetentionKind, type RetentionPolicy } from '../domain/retention';
import { outboxOf } from '../taskTypes/changeCapture';
import { realtimeTaskTypes } from '../taskTypes/registry';
import type { TaskType } from '../taskTypes/taskType';

/**
 * Retention: what is old enough to delete, one bounded batch at a time. Each batch is one
 * short statement (its own transaction), so deleting months of history never holds a long
 * lock or a long transaction, and runs that start meanwhile are untouched (a run in progress
 * has no end time; a new run only pushes older ones further from a job's last N).
 *
 * Order matters: rejected rows and log lines go first, in batches, so that deleting a run
 * (whose remaining rows go with it by cascade) never cascades into millions of rows.
 */

/**
 * Ids of runs that ended more than `days` ago and are not among their job's last `keep` runs.
 * A run's logs and rejected rows never outlive the run, so their age limit is at most the runs'.
 */
const oldRuns = (days: string, keep: string) => `
  select r.id from runs r
  where r.ended_at < now() - make_interval(days => ${days}::int)
    and r.number <= coalesce((
      select k.number from runs k where k.job_id = r.job_id order by k.number desc offset ${keep}::int - 1 limit 1
    ), 0) - 1`;

const STATEMENTS: Record<Exclude<RetentionKind, 'outbox'>, (p: RetentionPolicy) => { sql: string; params: unknown[] }> = {
  rejected_rows: (p) => ({
    sql: `delete from rejected_rows where id in (
            select x.id from rejected_rows x where x.run_id in (${oldRuns('$1', '$2')}) limit $3)`,
    params: [Math.min(p.rejectedDays, p.runDays), p.keepRuns, p.batchRows],
  }),
  run_logs: (p) => ({
    sql: `delete from run_logs where id in (
            select x.id from run_logs x where x.run_id in (${oldRuns('$1', '$2')}) limit $3)`,
    params: [Math.min(p.logDays, p.runDays), p.keepRuns, p.batchRows],
  }),
  runs: (p) => ({
    sql: `delete from runs where id in (${oldRuns('$1', '$2')} limit $3)`,
    params: [p.runDays, p.keepRuns, batchSizeOf('runs', p)],
  }),
};

/** Deletes one batch of `kind`; returns how many rows went (fewer than a batch: nothing more to do now). */
export async function deleteBatch(db: Pick<pg.Pool, 'query'>, kind: RetentionKind, policy: RetentionPolicy): Promise<number> {
  if (kind === 'outbox') {
    let deleted = 0;
    for (const taskType of realtimeTaskTypes()) deleted += (await db.query(orphanChangesSql(taskType), [taskType.name, policy.batchRows])).rowCount ?? 0;
    return deleted;
  }
  const { sql, params } = STATEMENTS[kind](policy);
  return (await db.query(sql, params)).rowCount ?? 0;
}

/**
 * Changes recorded in a realtime task type's outbox for a domain that has no realtime export
 * job of that type any more: nobody will deliver them (a job made realtime again starts after
 * the domain's last change).
 */
const orphanChangesSql = (taskType: TaskType) => {
  const outbox = outboxOf(taskType).table;
  return `delete from ${outbox} where id in (
            select o.id from ${outbox} o
            where not exists (
              select 1 from jobs j where j.domain = o.domain and j.mode = 'realtime' and j.direction = 'export' and j.task_type = $1)
            limit $2)`;
};
