import { heartbeat } from '@temporalio/activity';
import { alertsFor, reconcile, type MissedTime } from '../domain/missedSchedule';
import { logger } from '../infra/logger';
import { missedSchedulesTotal } from '../infra/metrics';
import { accountedTimes, claimAlert, insertMissed, jobsToCheck, pausesBetween, pruneLedger, releaseAlert, saveCheck, type JobToCheck } from '../io/missedSchedules';
import { scheduleRecord, scheduleTimesBetween } from '../temporal/schedules';
import type { ActivityDeps } from './deps';
import { findJob } from './runRecords';
import { createMailer } from '../io/mailer';

/**
 * The missed-schedule ledger (README, Missed schedules). Times are recorded where they are
 * seen missed: by the job workflow (a tick merged into a queued run, or refused), by the tick
 * workflow (it reached a worker past the catch-up window), and by the reconciler, which finds
 * the times Temporal never started (the schedule paused, or skipped by Temporal itself).
 * Each new entry counts in jobflow_missed_schedules_total{reason}; the first entry of a job's
 * UTC day for a reason other than a person's pause sends the job's recipients one alert.
 */

export interface MissedInput extends MissedTime {
  domain: string;
  jobId: string;
}

/** Jobs looked at per reconciler call; the workflow calls again for the next ones. */
const JOBS_PER_SLICE = 200;

/** How far behind now the reconciler stays beyond the catch-up window (a tick being started right then). */
const MARGIN_MS = 1_000;

export function missedScheduleActivities({ pool, orm, temporal, config }: ActivityDeps) {
  const send = createMailer(config);

  const alert = async (job: { id: string; domain: string; identifier: string; name: string; recipients: string[] }, m: MissedTime) => {
    if (!job.recipients.length) return;
    if (!send) {
      logger.warn({ domain: job.domain, jobId: job.identifier }, 'a scheduled time was missed but SMTP_URL is not set: no alert sent');
      return;
    }
    if (!(await claimAlert(pool, job.id))) return;
    const lines = [
      `Job: ${job.name} (${job.domain}/${job.identifier})`,
      `Scheduled for: ${m.scheduledAt}`,
      `Reason: ${m.reason.replaceAll('_', ' ')}`,
      `Detail: ${m.detail}`,
      '',
      'This is the only such alert for this job today (UTC); every missed time is listed in the API:',
      `${config.PUBLIC_API_URL}/domains/${job.domain}/jobs/${job.identifier}/missed`,
    ];
    try {
      await send({
        to: job.recipients,
        subject: `[jobflow] ${job.name}: a scheduled run was missed (${m.reason.replaceAll('_', ' ')})`,
        text: lines.join('\n') + '\n',
      });
    } catch (e) {
      await releaseAlert(pool, job.id); // the activity's retry, or the next miss, tries again
      throw e;
    }
  };

  /** Records one missed time of a job known by its uuid; alerts if it calls for it. */
  const record = async (job: { id: string; domain: string; identifier: string; name: string; recipients: string[] }, m: MissedTime): Promise<boolean> => {
    const inserted = await insertMissed(pool, job.id, job.domain, m);
    if (inserted) missedSchedulesTotal.inc({ reason: m.reason });
    // Also when not inserted: a retry after a failed email comes here with the entry already made.
    if (alertsFor(m.reason)) await alert(job, m);
    return inserted;
  };

  /** One job's look since the last: the times its schedule named that got no run and no entry. */
  const check = async (j: JobToCheck, to: Date): Promise<number> => {
    if (to <= j.from) return 0;
    const expected = await scheduleTimesBetween(temporal, j.domain, j.identifier, j.from, to);
    if (!expected) return 0; // no schedule now (disabled, or the job is being deleted)
    const pauses = await pausesBetween(pool, j.id, j.from, to);
    const accounted = expected.length ? await accountedTimes(pool, j.id, j.from, to) : new Set<number>();
    let result = reconcile({ expected, accounted, pauses, to });
    let counters: { missedCatchupWindow: number; overlapSkipped: number } | undefined;
    if (result.needsScheduler) {
      const rec = await scheduleRecord(temporal, j.domain, j.identifier);
      if (!rec) return 0;
      counters = { missedCatchupWindow: rec.missedCatchupWindow, overlapSkipped: rec.overlapSkipped };
      result = reconcile({
        expected, accounted, pauses, to,
        scheduler: {
          taken: new Set(rec.taken.map((d) => d.getTime())),
          missedCatchupWindowGrowth: rec.missedCatchupWindow - j.missedCatchupWindow,
          overlapSkippedGrowth: rec.overlapSkipped - j.overlapSkipped,
          since: rec.since,
        },
      });
    }
    let recorded = 0;
    if (result.missed.length) {
      const job = await findJob(orm.em.fork(), j.domain, j.identifier);
      for (const m of result.missed) if (await record(job, m)) recorded++;
    }
    await saveCheck(pool, j.id, result.checkedUntil, counters);
    return recorded;
  };

  return {
    /** A missed time seen by a workflow (merged, refused, or too late for the catch-up window). */
    async recordMissedSchedule(input: MissedInput): Promise<{ recorded: boolean }> {
      const job = await findJob(orm.em.fork(), input.domain, input.jobId);
      const { domain: _d, jobId: _j, ...m } = input;
      return { recorded: await record(job, m) };
    },

    /**
     * The reconciler: for the next jobs after `after`, the scheduled times since its last look
     * (up to now less the catch-up window, when Temporal has given up on a time) that got
     * neither a run nor an entry. `next`: call again from there. The first slice also prunes
     * the ledger past RUN_RETENTION_DAYS.
     */
    async reconcileMissedSchedules(after?: string): Promise<{ jobs: number; recorded: number; next?: string }> {
      if (!after) await pruneLedger(pool, config.RUN_RETENTION_DAYS, config.RETENTION_BATCH_ROWS);
      const jobs = await jobsToCheck(pool, after, JOBS_PER_SLICE);
      const to = new Date(Date.now() - config.SCHEDULE_CATCHUP_WINDOW - MARGIN_MS);
      let recorded = 0;
      for (const j of jobs) {
        // One job's trouble (its schedule being deleted meanwhile, say) never stops the look at the others.
        recorded += await check(j, to).catch((e) => {
          logger.warn({ domain: j.domain, jobId: j.identifier, error: String(e) }, 'missed schedules: the job could not be looked at; next time');
          return 0;
        });
        heartbeat({ jobId: j.id, recorded });
      }
      return { jobs: jobs.length, recorded, next: jobs.length === JOBS_PER_SLICE ? jobs[jobs.length - 1]!.id : undefined };
    },
  };
}
