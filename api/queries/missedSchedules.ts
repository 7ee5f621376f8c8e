import type { MikroORM } from '@mikro-orm/postgresql';
import { MISSED_REASONS, type MissedReason } from '../../domain/missedSchedule';

/** The missed-schedule ledger as the API reads it (README, Missed schedules): one job's entries, and its counts by reason. */

export interface MissedEntry {
  scheduledAt: string;
  reason: MissedReason;
  detail: string | null;
  mergedInto: string | null;
  recordedAt: string;
}

const isoOf = (v: Date | string) => new Date(v).toISOString();

/** A page of the job's missed times, newest first, with the total. */
export async function missedPage(orm: MikroORM, jobUuid: string, q: { reason?: MissedReason[]; limit: number; offset: number }): Promise<{ items: MissedEntry[]; total: number }> {
  const conn = orm.em.getConnection();
  const reasons = q.reason ?? [...MISSED_REASONS];
  const rows = await conn.execute<{ scheduled_at: Date; reason: MissedReason; detail: string | null; merged_into: Date | null; recorded_at: Date; total: string }[]>(
    `select scheduled_at, reason, detail, merged_into, recorded_at, count(*) over () as total
     from missed_schedules where job_id = ? and reason = any(string_to_array(?, ',')) order by scheduled_at desc limit ? offset ?`,
    [jobUuid, reasons.join(','), q.limit, q.offset],
    'all',
  );
  let total = rows[0] ? Number(rows[0].total) : 0;
  if (!rows.length && q.offset > 0) {
    const [c] = await conn.execute<{ n: string }[]>('select count(*) as n from missed_schedules where job_id = ? and reason = any(string_to_array(?, \',\'))', [jobUuid, reasons.join(',')], 'all');
    total = Number(c?.n ?? 0);
  }
  return {
    items: rows.map((r) => ({
      scheduledAt: isoOf(r.scheduled_at), reason: r.reason, detail: r.detail,
      mergedInto: r.merged_into ? isoOf(r.merged_into) : null, recordedAt: isoOf(r.recorded_at),
    })),
    total,
  };
}

/** The job detail's summary: how many times were missed, in all and by reason (every reason present, 0 when none). */
export function missedCounts(byReason: Record<string, number | string> | null | undefined): { total: number; byReason: Record<MissedReason, number> } {
  const counts = Object.fromEntries(MISSED_REASONS.map((r) => [r, Number(byReason?.[r] ?? 0)])) as Record<MissedReason, number>;
  return { total: Object.values(counts).reduce((a, b) => a + b, 0), byReason: counts };
}
