import type { Client } from '@temporalio/client';
import { JOB_SCHEDULE_PREFIX } from '../../contracts/workflowIds';

/**
 * The next action times of every Temporal Schedule of the namespace, from one listing
 * (ListSchedules: a few milliseconds for a thousand schedules) shared by every list request:
 * fresh for FRESH_MS, then refreshed in the background while the previous listing still
 * answers, up to MAX_AGE_MS. A listing holds each schedule's next few action times, so a time
 * that has passed is simply skipped. Visibility trails a schedule change by moments, as it
 * trails the job statuses.
 */
const FRESH_MS = 5_000;
const MAX_AGE_MS = 30_000;

export class ScheduleTimes {
  private snapshot?: { at: number; times: Map<string, Date[]> };
  private loading?: Promise<Map<string, Date[]>>;

  constructor(
    private readonly temporal: Client | undefined,
    private readonly freshMs = FRESH_MS,
    private readonly maxAgeMs = MAX_AGE_MS,
  ) {}

  /** Schedule id → its next action times; undefined when Temporal does not answer. */
  async get(now = Date.now()): Promise<Map<string, Date[]> | undefined> {
    if (!this.temporal) return undefined;
    const s = this.snapshot;
    if (s && now - s.at < this.freshMs) return s.times;
    const refresh = this.refresh();
    if (s && now - s.at < this.maxAgeMs) {
      refresh.catch(() => undefined); // the next request tries again
      return s.times;
    }
    try {
      return await refresh;
    } catch {
      return undefined;
    }
  }

  private refresh(): Promise<Map<string, Date[]>> {
    this.loading ??= (async () => {
      const at = Date.now();
      const times = new Map<string, Date[]>();
      for await (const sc of this.temporal!.schedule.list({ pageSize: 1000 })) {
        // Only our jobs' schedules; others in the namespace are skipped.
        if (sc.scheduleId.startsWith(JOB_SCHEDULE_PREFIX)) times.set(sc.scheduleId, sc.info.nextActionTimes);
      }
      this.snapshot = { at, times };
      return times;
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
