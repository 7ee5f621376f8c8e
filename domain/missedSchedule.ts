/**
 * The missed-schedule ledger's rules (README, Missed schedules): why a scheduled time got no
 * run of its own, and how the reconciler tells it from what was recorded. Pure: the times and
 * records come in as arguments, so the rules are unit-tested without Temporal or PostgreSQL.
 */

export const MISSED_REASONS = [
  /** The tick arrived while a run was already queued behind the current one: it joined that run. */
  'merged',
  /** A person had paused the job (its schedule paused: no tick came). */
  'paused',
  /** The system had halted the job after a run kept halting. */
  'halted',
  /** The tick came later than the catch-up window allows (a worker or Temporal down meanwhile). */
  'outside_catchup_window',
  /** Temporal's schedule never started the time, and says nothing more (its server was down or overloaded). */
  'server_unavailable',
  /** Temporal's overlap policy skipped it. */
  'overlap',
  /** The job refused the tick for another reason (not ready to run, or deleted). */
  'refused',
] as const;
export type MissedReason = (typeof MISSED_REASONS)[number];

/** Every reason but a person's own pause calls for a person: an alert (at most one per job per day). */
export const alertsFor = (reason: MissedReason): boolean => reason !== 'paused';

export interface MissedTime {
  scheduledAt: string;
  reason: MissedReason;
  detail: string;
  /** For a merged tick: the scheduled time of the run it joined, when that run was a scheduled one. */
  mergedInto?: string;
}

/** Why the job workflow refused a scheduled tick, from its state (as jobLifecycle.runRefusal checks it). */
export function reasonOfRefusal(s: { halted?: unknown; paused?: unknown }): MissedReason {
  if (s.halted) return 'halted';
  if (s.paused) return 'paused';
  return 'refused';
}

/** Who paused a schedule, from the note the job workflow pauses it with ("Halted: ..." or "Paused by ..."). */
export const pauseKindOfNote = (note: string): 'halted' | 'paused' => (note.startsWith('Halted:') ? 'halted' : 'paused');

/** An interval during which the job's schedule was paused; resumedAt null while it still is. */
export interface PauseInterval {
  kind: 'paused' | 'halted';
  note: string | null;
  pausedAt: Date;
  resumedAt: Date | null;
}

/** What Temporal's schedule says of itself (a describe): the times it took lately, and its skip counters' growth. */
export interface SchedulerView {
  /** Scheduled times (ms) of its recent actions: a time taken is on its way to the job, or waits there. */
  taken: Set<number>;
  missedCatchupWindowGrowth: number;
  overlapSkippedGrowth: number;
  /** When the schedule was made or last changed: earlier times outside a pause are not its own to judge (the spec may have differed). */
  since: Date;
}

export interface Reconciliation {
  missed: MissedTime[];
  /** Unaccounted times outside any pause: the schedule's own view is needed to classify them. */
  needsScheduler: boolean;
  /** Where the next look starts: just before the earliest time still on its way, else `to`. */
  checkedUntil: Date;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Classifies the scheduled times in (from, to] that have neither a run nor a ledger entry.
 * A time inside a pause is missed for that pause (a paused schedule fires nothing). Another
 * needs the scheduler's view: a time it took is still on its way (a tick queued behind a run, or
 * waiting for a worker) and is looked at again next time; a time it did not take was skipped
 * by Temporal itself: for its catch-up window or overlap policy if those counters grew since
 * the last look, else because its server was unavailable.
 */
export function reconcile(input: {
  expected: Date[];
  accounted: Set<number>;
  pauses: PauseInterval[];
  to: Date;
  scheduler?: SchedulerView;
}): Reconciliation {
  const missed: MissedTime[] = [];
  let needsScheduler = false;
  let pendingFrom: number | undefined;
  for (const t of input.expected.map((d) => d.getTime()).sort((a, b) => a - b)) {
    if (t > input.to.getTime() || input.accounted.has(t)) continue;
    const pause = input.pauses.find((p) => p.pausedAt.getTime() <= t && (!p.resumedAt || t < p.resumedAt.getTime()));
    if (pause) {
      missed.push({
        scheduledAt: iso(t), reason: pause.kind,
        detail: pause.kind === 'halted' ? `The job was halted (${(pause.note ?? 'a run kept halting').replace(/^Halted: /, '')}).` : `The job was paused (${pause.note ?? 'by a person'}).`,
      });
      continue;
    }
    const s = input.scheduler;
    if (!s) {
      needsScheduler = true;
      continue;
    }
    if (t < s.since.getTime()) continue;
    if (s.taken.has(t)) {
      pendingFrom ??= t;
      continue;
    }
    if (s.missedCatchupWindowGrowth > 0) {
      missed.push({ scheduledAt: iso(t), reason: 'outside_catchup_window', detail: 'Temporal did not start it within the catch-up window (its server was down or late meanwhile).' });
    } else if (s.overlapSkippedGrowth > 0) {
      missed.push({ scheduledAt: iso(t), reason: 'overlap', detail: "Temporal's overlap policy skipped it." });
    } else {
      missed.push({ scheduledAt: iso(t), reason: 'server_unavailable', detail: 'Temporal never started it: its server was unavailable.' });
    }
  }
  return { missed, needsScheduler, checkedUntil: pendingFrom !== undefined ? new Date(pendingFrom - 1) : input.to };
}

/** The tick workflow's check: how late it reached a worker, past the catch-up window (undefined: in time). */
export function lateTick(scheduledAt: string, now: number, catchupWindowMs: number): MissedTime | undefined {
  const lateMs = now - Date.parse(scheduledAt);
  if (lateMs <= catchupWindowMs) return undefined;
  return {
    scheduledAt, reason: 'outside_catchup_window',
    detail: `The request reached a worker ${(lateMs / 1000).toFixed(1)} s after its time, past the ${Math.round(catchupWindowMs / 1000)} s catch-up window (no worker was running meanwhile).`,
  };
}
