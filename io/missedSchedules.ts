import type pg from 'pg';
import type { MissedTime, PauseInterval } from '../domain/missedSchedule';

/**
 * The missed-schedule ledger's tables (db/migrations/..._missedSchedules): each statement short
 * and indexed by job, so the reconciler's look at one job costs a few index reads.
 */

/** Records a missed time; false when the time was already recorded (first reason wins: retries and races add nothing). */
export async function insertMissed(pool: pg.Pool, jobUuid: string, domain: string, m: MissedTime): Promise<boolean> {
  const { rowCount } = await pool.query(
    `insert into missed_schedules (job_id, domain, scheduled_at, reason, detail, merged_into) values ($1, $2, $3, $4, $5, $6)
     on conflict (job_id, scheduled_at) do nothing`,
    [jobUuid, domain, m.scheduledAt, m.reason, m.detail, m.mergedInto ?? null],
  );
  return rowCount === 1;
}

/** Claims today's (UTC) alert for the job; false when one was claimed already. */
export async function claimAlert(pool: pg.Pool, jobUuid: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `insert into missed_schedule_alerts (job_id, day) values ($1, (now() at time zone 'utc')::date) on conflict do nothing`, [jobUuid]);
  return rowCount === 1;
}

/** Gives today's claim back (the email could not be sent): the next miss, or the retry, tries again. */
export async function releaseAlert(pool: pg.Pool, jobUuid: string): Promise<void> {
  await pool.query(`delete from missed_schedule_alerts where job_id = $1 and day = (now() at time zone 'utc')::date`, [jobUuid]);
}

/**
 * Notes a change of the job's schedule pause: `kind` undefined ends the open interval; a kind
 * opens one (ending an open one of another kind or note first). Idempotent: the job workflow
 * syncs its schedule often with the same state.
 */
export async function notePause(pool: pg.Pool, jobUuid: string, pause: { kind: 'paused' | 'halted'; note: string } | undefined): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ id: string; kind: string; note: string | null }>(
      'select id, kind, note from schedule_pauses where job_id = $1 and resumed_at is null order by paused_at desc for update', [jobUuid]);
    const open = rows[0];
    if (open && pause && open.kind === pause.kind && open.note === pause.note) {
      await client.query('commit');
      return;
    }
    if (rows.length) await client.query('update schedule_pauses set resumed_at = now() where job_id = $1 and resumed_at is null', [jobUuid]);
    if (pause) await client.query('insert into schedule_pauses (job_id, kind, note, paused_at) values ($1, $2, $3, now())', [jobUuid, pause.kind, pause.note]);
    await client.query('commit');
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

export interface JobToCheck {
  id: string;
  domain: string;
  identifier: string;
  /** Where the last look ended (the job's creation before the first look); a week back at most. */
  from: Date;
  missedCatchupWindow: number;
  overlapSkipped: number;
}

/** The next `limit` jobs that can have a schedule (batch and realtime, scheduling not disabled), by id after `after`. */
export async function jobsToCheck(pool: pg.Pool, after: string | undefined, limit: number): Promise<JobToCheck[]> {
  const { rows } = await pool.query<{ id: string; domain: string; identifier: string; from: Date; missed_catchup_window: string; overlap_skipped: string }>(
    `select j.id, j.domain, j.identifier, greatest(coalesce(c.checked_until, j.created_at), now() - interval '7 days') as "from",
            coalesce(c.missed_catchup_window, 0) as missed_catchup_window, coalesce(c.overlap_skipped, 0) as overlap_skipped
     from jobs j left join missed_schedule_checks c on c.job_id = j.id
     where j.mode in ('batch', 'realtime') and j.scheduling->>'type' is distinct from 'disabled' and ($1::uuid is null or j.id > $1::uuid)
     order by j.id limit $2`,
    [after ?? null, limit],
  );
  return rows.map((r) => ({
    id: r.id, domain: r.domain, identifier: r.identifier, from: r.from,
    missedCatchupWindow: Number(r.missed_catchup_window), overlapSkipped: Number(r.overlap_skipped),
  }));
}

/** The scheduled times in (from, to] that got a run, a ledger entry, or a later tick merged into their queued run. */
export async function accountedTimes(pool: pg.Pool, jobUuid: string, from: Date, to: Date): Promise<Set<number>> {
  const { rows } = await pool.query<{ t: Date }>(
    `select scheduled_at as t from runs where job_id = $1 and scheduled_at > $2 and scheduled_at <= $3
     union select scheduled_at from missed_schedules where job_id = $1 and scheduled_at > $2 and scheduled_at <= $3
     union select merged_into from missed_schedules where job_id = $1 and merged_into > $2 and merged_into <= $3`,
    [jobUuid, from, to],
  );
  return new Set(rows.map((r) => r.t.getTime()));
}

/** The job's schedule pauses that overlap (from, to]. */
export async function pausesBetween(pool: pg.Pool, jobUuid: string, from: Date, to: Date): Promise<PauseInterval[]> {
  const { rows } = await pool.query<{ kind: 'paused' | 'halted'; note: string | null; paused_at: Date; resumed_at: Date | null }>(
    `select kind, note, paused_at, resumed_at from schedule_pauses
     where job_id = $1 and paused_at <= $3 and (resumed_at is null or resumed_at > $2) order by paused_at`,
    [jobUuid, from, to],
  );
  return rows.map((r) => ({ kind: r.kind, note: r.note, pausedAt: r.paused_at, resumedAt: r.resumed_at }));
}

/** Where the next look at the job starts, and the schedule's skip counters as last seen. */
export async function saveCheck(pool: pg.Pool, jobUuid: string, checkedUntil: Date, counters?: { missedCatchupWindow: number; overlapSkipped: number }): Promise<void> {
  await pool.query(
    `insert into missed_schedule_checks (job_id, checked_until, missed_catchup_window, overlap_skipped) values ($1, $2, coalesce($3, 0), coalesce($4, 0))
     on conflict (job_id) do update set checked_until = greatest(missed_schedule_checks.checked_until, excluded.checked_until),
       missed_catchup_window = coalesce($3, missed_schedule_checks.missed_catchup_window),
       overlap_skipped = coalesce($4, missed_schedule_checks.overlap_skipped)`,
    [jobUuid, checkedUntil, counters?.missedCatchupWindow ?? null, counters?.overlapSkipped ?? null],
  );
}

/**
 * The ledger is kept as long as runs are (RUN_RETENTION_DAYS): entries, ended pauses and alert
 * claims older than that go, at most `batch` rows of each per call (the reconciler's first slice
 * calls this on every look, so a backlog goes in steps, each a short statement).
 */
export async function pruneLedger(pool: pg.Pool, days: number, batch: number): Promise<number> {
  let deleted = 0;
  for (const sql of [
    `delete from missed_schedules where id in (select id from missed_schedules where scheduled_at < now() - make_interval(days => $1::int) limit $2)`,
    `delete from schedule_pauses where id in (select id from schedule_pauses where resumed_at < now() - make_interval(days => $1::int) limit $2)`,
    `delete from missed_schedule_alerts where (job_id, day) in (select job_id, day from missed_schedule_alerts where day < (now() - make_interval(days => $1::int))::date limit $2)`,
  ]) deleted += (await pool.query(sql, [days, batch])).rowCount ?? 0;
  return deleted;
}
