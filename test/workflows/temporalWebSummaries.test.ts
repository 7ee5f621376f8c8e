import assert from 'node:assert/strict';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { jobScheduleId } from '../../contracts/workflowIds';
import { createJob } from '../setup/jobs';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { runNow, startJob, startWorkflowTestEnv, type WorkflowTestEnv } from './helpers';

/**
 * What Temporal Web keeps showing of a job after it continues as new, and what a schedule's
 * tick says (test/e2e/temporalWebSummaries.test.ts has the rest).
 */
describe('Temporal Web: a job after continue-as-new, and the details of a tick', function () {
  this.timeout(120_000);

  describe('a job workflow that continued as new', () => {
    let t: WorkflowTestEnv;
    before(async () => {
      t = await startWorkflowTestEnv();
    });
    afterEach(async () => t.reset());
    after(async () => t?.stop());

    it('still says which job it is and how it is configured: its current details start with them', async () => {
      // A history limit the first run passes: the job continues as new once the run has ended.
      const job = await startJob(t, 'kept', { historyLimit: 15, settings: { where: 'sections.csv', retryLimit: 3, retryIntervalMs: 15 * 60_000 } });
      const first = t.client.workflow.getHandle(job.workflowId, job.firstExecutionRunId);
      await runNow(job);
      await eventually(async () => ((await first.describe()).status.name === 'CONTINUED_AS_NEW' ? true : undefined), 'the first execution to continue as new', 30_000);

      const next = t.client.workflow.getHandle(job.workflowId);
      const details = await eventually(async () => {
        if ((await next.describe()).runId === job.firstExecutionRunId) return undefined;
        const meta = await next.query(workflowMetadataQuery);
        return /last run 1: completed/.test(meta.currentDetails ?? '') ? meta.currentDetails : undefined;
      }, 'the continued execution\'s details');
      // One paragraph each (Temporal Web renders details as Markdown).
      const lines = details!.split('\n\n');
      assert.equal(lines[0], `Job Job kept (${t.domain}/kept)`);
      assert.equal(lines[1], 'import sectionsCsv from sections.csv; batch job, runs on request; a failed run is retried up to 3 times, 15 min apart');
      assert.match(lines[2]!, /^waiting for the next run request/);
      assert.match(lines[3]!, /^last run 1: completed/);
      // (Why they restate it: server 1.29.1 does not carry a workflow's static summary and details,
      // its user metadata, across continue-as-new, so the job's own are gone from here on.)
    });
  });

  describe("a schedule's run workflow", () => {
    let sys: TestSystem;
    const domain = 'tickwords';
    before(async () => {
      sys = await startSystem();
    });
    after(async () => sys?.stop());

    it('carries static details: the job, its schedule in words and what the run does when it cannot run; nothing of its source', async () => {
      const admin = await sys.token('domain_admin', domain);
      await createJob(sys, admin, domain, {
        id: 'weekly', name: 'Weekly sections', mode: 'batch', sourceUrl: `file://${sys.areaOf(domain)}/secret-folder/sections.csv`,
        scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY'], times: ['07:30'] } }, timezone: 'Europe/Paris',
      });
      const schedule = sys.client.schedule.getHandle(jobScheduleId(domain, 'weekly'));
      await schedule.trigger();
      const tickId = await eventually(async () => {
        const action = (await schedule.describe()).info.recentActions[0]?.action;
        return action?.type === 'startWorkflow' ? action.workflow.workflowId : undefined;
      }, 'the triggered run');
      const tick = await sys.client.workflow.getHandle(tickId!).describe();
      assert.match(tickId!, new RegExp(`^run-${domain}-weekly-at-`));
      assert.equal(await tick.staticSummary(), `Scheduled run of Weekly sections (${domain}/weekly): mon at 07:30`);
      const details = (await tick.staticDetails()) ?? '';
      assert.equal(details.split('\n')[0], `Job Weekly sections (${domain}/weekly), schedule ${jobScheduleId(domain, 'weekly')}: mon at 07:30 (Europe/Paris)`);
      assert.match(details, /\nRuns the job at this scheduled time\. When another run of the job is in progress, or the job is paused, halted or owes a rerun, it hands the time to the job workflow instead/);
      assert.match(details, /\nA time no worker takes within \d+ (min|s) is recorded as missed, not run late\.$/);
      for (const hidden of ['secret-folder', 'sections.csv', 'file:']) assert.ok(!details.includes(hidden), `${hidden} in the tick's details`);
    });
  });
});
