/**
 * Whether a set of jobs, each scheduled every minute, got exactly one run per scheduled minute:
 * the load scenario's verdict (test/faults/load.test.ts), and bench:runcost's on either server.
 */

export interface ScheduledRun {
  /** domain/identifier */
  job: string;
  number: number;
  trigger: string;
  status: string;
  startedAt: number;
  /** The time the schedule meant the run for (the run workflow's input); undefined for other triggers. */
  scheduledAt?: number;
}

export interface ScheduleKeeping {
  /** Scheduled minutes of the window with no run. */
  missed: string[];
  /** Scheduled times with more than one run. */
  doubled: string[];
  /** Jobs whose run numbers are not 1, 2, 3... */
  gaps: string[];
  /** Runs of the window that did not complete. */
  notCompleted: string[];
  /** Run start minus scheduled time, sorted, for the window's runs. */
  lags: number[];
  /** The lags of each minute of the window, sorted. */
  lagsByMinute: number[][];
}

export function scheduleKeeping(jobs: readonly string[], runs: readonly ScheduledRun[], minutes: readonly number[]): ScheduleKeeping {
  const out: ScheduleKeeping = { missed: [], doubled: [], gaps: [], notCompleted: [], lags: [], lagsByMinute: minutes.map(() => []) };
  const windowStart = minutes[0] ?? 0;
  const windowEnd = (minutes.at(-1) ?? 0) + 60_000;
  const byJob = new Map<string, ScheduledRun[]>();
  for (const r of runs) {
    const own = byJob.get(r.job);
    if (own) own.push(r);
    else byJob.set(r.job, [r]);
  }
  for (const job of jobs) {
    const own = (byJob.get(job) ?? []).sort((a, b) => a.number - b.number);
    if (own.some((r, n) => r.number !== n + 1)) out.gaps.push(job);
    const perTime = new Map<number, number>();
    for (const r of own) {
      const at = r.scheduledAt;
      if (r.trigger !== 'schedule' || at === undefined) continue;
      perTime.set(at, (perTime.get(at) ?? 0) + 1);
      if (at >= windowStart && at < windowEnd) {
        out.lags.push(r.startedAt - at);
        out.lagsByMinute[minutes.indexOf(at)]?.push(r.startedAt - at);
        if (r.status !== 'completed') out.notCompleted.push(`${job}#${r.number}: ${r.status}`);
      }
    }
    for (const [at, n] of perTime) if (n > 1) out.doubled.push(`${job} @ ${new Date(at).toISOString()} x${n}`);
    for (const m of minutes) if (!perTime.has(m)) out.missed.push(`${job} @ ${new Date(m).toISOString()}`);
  }
  out.lags.sort((a, b) => a - b);
  for (const l of out.lagsByMinute) l.sort((a, b) => a - b);
  return out;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The verdict in lines: runs of expected, lag p50/p95/max in all and per minute, missed and doubled. */
export function keepingLines(k: ScheduleKeeping, expected: number, indent = ''): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lag = (xs: readonly number[]) => `lag p50 ${s(percentile(xs, 50))}, p95 ${s(percentile(xs, 95))}, max ${s(xs.at(-1) ?? NaN)}`;
  return [
    `${indent}${k.lags.length} scheduled runs of ${expected} expected; missed ${k.missed.length}, doubled ${k.doubled.length}, not completed ${k.notCompleted.length}`,
    `${indent}schedule lag (run start - scheduled time): ${lag(k.lags)}`,
    ...k.lagsByMinute.map((xs, m) => `${indent}  minute ${m + 1}: ${xs.length} runs, ${lag(xs)}`),
  ];
}
