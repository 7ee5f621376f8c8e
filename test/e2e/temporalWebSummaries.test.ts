import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { jobWorkflowId, runWorkflowId } from '../../contracts/workflowIds';
import { defaultPayloadConverter } from '@temporalio/common';
import { createJob, runNow } from '../setup/jobs';
import { eventually, startSystem, type TestSystem } from '../setup/system';

/**
 * What operators read in Temporal Web: the job, run and tick workflows' summaries and
 * details, the activities' and the job timer's summaries, and the job's current details in
 * words; never a credential or a file's content.
 */
describe('Temporal Web: summaries and details operators read', function () {
  this.timeout(120_000);
  let sys: TestSystem;
  let admin: string;
  const domain = 'readable';
  before(async () => {
    sys = await startSystem({ retryLimit: 2 });
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => sys?.stop());

  /** The decoded summaries of a workflow's activities and timers (local ones too), in order. */
  async function eventSummaries(workflowId: string): Promise<string[]> {
    const history = await sys.client.workflow.getHandle(workflowId).fetchHistory();
    const payloads = (history.events ?? []).filter((e) => !e.workflowExecutionStartedEventAttributes).map((e) => e.userMetadata?.summary).filter((p) => !!p);
    // The test system's payloads are plaintext (no PAYLOAD_CODEC_KEYS).
    return payloads.map((p) => String(defaultPayloadConverter.fromPayload(p!)));
  }

  it('a run: its workflow says which run of which job and why; its activities what they work on', async () => {
    const sample = path.join(sys.areaOf(domain), 'sections.csv');
    fs.copyFileSync(path.resolve('samples/sections.csv'), sample);
    const rows = fs.readFileSync(sample, 'utf8').trim().split('\n').length - 1;
    await createJob(sys, admin, domain, { id: 'nightly', name: 'Nightly sections', mode: 'batch', sourceUrl: `file://${sample}`,
      scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY', 'FRIDAY'], times: ['06:00'] } }, timezone: 'Europe/Paris' });
    await runNow(sys, admin, domain, 'nightly');
    const run = sys.client.workflow.getHandle(runWorkflowId(domain, 'nightly', 1));
    await eventually(async () => ((await run.describe()).status.name === 'COMPLETED' ? true : undefined), 'run 1 to complete');

    const described = await run.describe();
    assert.equal(await described.staticSummary(), 'Run 1 of Nightly sections (manual)');
    assert.equal(await described.staticDetails(), `import sectionsCsv from sections.csv; batch job ${domain}/nightly`);
    // One activity runs the whole run (its record's start and end too); the run's log has its phases.
    assert.deepEqual(await eventSummaries(run.workflowId), ['import sectionsCsv rows from sections.csv: validate, process, load']);
    const logs = await sys.call(admin, 'GET', `/domains/${domain}/jobs/nightly/runs/1/logs`);
    assert.ok(logs.json.items.some((l: { message: string }) => l.message.startsWith(`Validated ${rows} rows`)), JSON.stringify(logs.json.items));

    const job = sys.client.workflow.getHandle(jobWorkflowId(domain, 'nightly'));
    const jobDescribed = await job.describe();
    assert.equal(await jobDescribed.staticSummary(), `Job Nightly sections (${domain}/nightly)`);
    // Where, in the words of run summaries: a file's name, never its folders (nor a remote peer's).
    assert.equal(await jobDescribed.staticDetails(), 'import sectionsCsv from sections.csv; mon, fri at 06:00');
    const details = await eventually(async () => {
      const meta = await job.query(workflowMetadataQuery);
      return /last run 1: completed/.test(meta.currentDetails ?? '') ? meta.currentDetails : undefined;
    }, 'the job details after its run');
    // The job first (its static summary and details are gone after a continue-as-new), then its state.
    assert.match(details!, /^Job Nightly sections \(readable\/nightly\)\n\nimport sectionsCsv from sections\.csv; batch job, runs on its schedule and on request; a failed run is retried up to 2 times, [^\n]+ apart\n\n/);
    assert.match(details!, /\n\nwaiting for the next run request; next scheduled run \d{4}-\d\d-\d\d 0[45]:00 UTC\n\nlast run 1: completed, ended /);
    // With nothing due it waits without a timer (a timer would cost an action a run); its details say what for.
    const history = await job.fetchHistory();
    assert.equal(history.events!.filter((e) => e.timerStartedEventAttributes).length, 0, 'no timer while nothing is due');
  });

  it('a failed run: the job details and timer give the retry, its number and its time', async () => {
    await createJob(sys, admin, domain, { id: 'broken', name: 'Broken', mode: 'batch', sourceUrl: `file://${sys.areaOf(domain)}/nowhere.csv` });
    await runNow(sys, admin, domain, 'broken');
    const job = sys.client.workflow.getHandle(jobWorkflowId(domain, 'broken'));
    const details = await eventually(async () => {
      const meta = await job.query(workflowMetadataQuery);
      return /^retry 1 of 2 at /m.test(meta.currentDetails ?? '') ? meta.currentDetails : undefined;
    }, 'the retry in the job details');
    assert.match(details!, /^Job Broken \(readable\/broken\)\n\nimport sectionsCsv from nowhere\.csv; batch job, runs on request; [^\n]+\n\nretry 1 of 2 at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(the last run failed\)\n\nlast run 1: failed \(The source file:\/\/.*nowhere\.csv does not exist\.\)/);
    const timers = await eventSummaries(job.workflowId);
    assert.ok(timers.some((s) => /^retry 1 of 2 at /.test(s)), `a timer summary names the retry (${timers.join(' | ')})`);
  });

  it("a schedule's run workflows say which job they run, and when", async () => {
    const desc = await sys.client.schedule.getHandle(`schedule-${domain}-nightly`).describe();
    assert.equal(desc.action.type === 'startWorkflow' && desc.action.staticSummary, `Scheduled run of Nightly sections (${domain}/nightly): mon, fri at 06:00`);
  });
});
