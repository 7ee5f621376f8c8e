import { RunSchema } from '../db/entities';
import { logger } from '../infra/logger';
import type { RunNotice } from '../domain/jobLifecycle';
import type { RunTrigger } from '../domain/jobDefinition';
import { countersPhrase } from '../domain/runStatus';
import type { RunRef } from '../contracts/workflowIds';
import type { ActivityDeps } from './deps';
import { findJob } from './runRecords';
import { createMailer } from '../io/mailer';

/**
 * Report emails (seeds 002 and 003): to the job's recipients when "send report" is on, at a
 * run's start and end, and once when a failing job needs a person (its retries are used up
 * or it halted) and once when it recovers, never at every retry. Sending is an activity
 * with its own retries; the workflow never lets a mail failure fail a run.
 */

export interface NotifyInput extends RunRef {
  notice: RunNotice;
  /** Known to the job workflow before the run's record exists. */
  trigger?: RunTrigger;
  attempt?: number;
}

const SUBJECT: Record<RunNotice, (job: string, run: number, outcome: string) => string> = {
  started: (job, run) => `[jobflow] ${job}: run ${run} started`,
  ended: (job, run, outcome) => `[jobflow] ${job}: run ${run} ${outcome.replaceAll('_', ' ')}`,
  needs_attention: (job, run, outcome) => `[jobflow] ${job} needs attention: run ${run} ${outcome} after its retries`,
  recovered: (job, run) => `[jobflow] ${job} recovered: run ${run} completed`,
};

export function notificationActivities({ orm, config }: ActivityDeps) {
  const send = createMailer(config);
  return {
    async notifyRun(input: NotifyInput): Promise<{ sent: boolean; to: string[] }> {
      const em = orm.em.fork();
      const job = await findJob(em, input.domain, input.jobId);
      if (!job.sendReport || job.recipients.length === 0) return { sent: false, to: [] };
      if (!send) {
        logger.warn({ domain: input.domain, jobId: input.jobId, runNumber: input.runNumber }, 'send report is on but SMTP_URL is not set: no email sent');
        return { sent: false, to: [] };
      }
      const run = await em.findOne(RunSchema, { jobId: job.id, number: input.runNumber });
      const outcome = run?.status ?? 'unknown';
      const apiUrl = `${config.PUBLIC_API_URL}/domains/${job.domain}/jobs/${job.identifier}/runs/${input.runNumber}`;
      const webUrl = `${config.TEMPORAL_WEB_URL}/namespaces/default/workflows/${encodeURIComponent(run?.workflowId ?? '')}`;
      const lines = [
        `Job: ${job.name} (${job.domain}/${job.identifier}, ${job.taskType}, ${job.mode})`,
        `Run: ${input.runNumber} (trigger ${input.trigger ?? run?.trigger ?? '?'}, attempt ${input.attempt ?? run?.attempt ?? '?'})`,
        `Status: ${input.notice === 'started' ? 'started' : outcome}`,
      ];
      if (run && input.notice !== 'started') {
        lines.push(
          `Rows: ${countersPhrase(job.direction, run)}${job.direction === 'import' ? ` (${run.failedPct}% failed)` : ''}`,
        );
        const warnings = Object.entries(run.warningsByKind ?? {});
        if (warnings.length) lines.push(`Warnings: ${warnings.map(([k, n]) => `${k.replaceAll('_', ' ')} ${n}`).join(', ')}`);
        if (run.reason) lines.push(`Reason: ${run.reason}`);
      }
      lines.push('', `In the API: ${apiUrl}`, `In Temporal Web: ${webUrl}`);
      await send({
        to: job.recipients,
        subject: SUBJECT[input.notice](job.name, input.runNumber, outcome),
        text: lines.join('\n') + '\n',
      });
      return { sent: true, to: job.recipients };
    },
  };
}
