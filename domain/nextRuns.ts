import { Cron } from 'croner';
import { intervalSeconds, type Timing } from './schedule';

/**
 * The next times a timing starts a run, as Temporal Schedules read it (temporal/schedules.ts
 * toScheduleSpec): a calendar is one spec per time of day on the chosen days, in the time
 * zone; a cron expression is read by croner exactly as domain/cron.ts accepts it (the same
 * reading Temporal's server makes, checked against it in test/api); an interval is counted from
 * the Unix epoch, as Temporal counts intervals without a phase, so its time zone does not
 * move it. For a timing that timingProblems accepts; `from` is excluded.
 */
export function nextRunTimes(timing: Timing, timezone: string, from: Date, count: number): Date[] {
  const tz = timing.timezone ?? timezone;
  switch (timing.kind) {
    case 'interval': {
      const period = intervalSeconds(timing) * 1000;
      const first = (Math.floor(from.getTime() / period) + 1) * period;
      return Array.from({ length: count }, (_, i) => new Date(first + i * period));
    }
    case 'cron':
      return cronRuns(timing.expression, tz, from, count);
    case 'calendar': {
      if (!timing.days.length) return [];
      const days = timing.days.map((d) => d.slice(0, 3)).join(',');
      const all = [...new Set(timing.times)].flatMap((t) => {
        const [hour, minute] = t.split(':').map(Number) as [number, number];
        return cronRuns(`${minute} ${hour} * * ${days}`, tz, from, count);
      });
      return all.sort((a, b) => a.getTime() - b.getTime()).slice(0, count);
    }
  }
}

function cronRuns(expression: string, timezone: string, from: Date, count: number): Date[] {
  return new Cron(expression, { timezone, paused: true, mode: '5-part' }).nextRuns(count, from);
}
