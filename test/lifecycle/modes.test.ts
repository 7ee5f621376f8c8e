import assert from 'node:assert/strict';
import fs from 'node:fs';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { recordHistory } from '../replay/histories';
import { startSystem, type TestSystem } from '../setup/system';
import { GOOD, fileUrl, jobsApi, writeFile } from './helpers';

/** PRODUCT.md, Modes: every mode with every trigger it allows, and the ones it refuses. */
describe('lifecycle: modes and triggers', () => {
  let sys: TestSystem;
  let jobs: ReturnType<typeof jobsApi>;
  let source: string;
  before(async () => {
    sys = await startSystem({ retryLimit: 0 });
    jobs = jobsApi(sys, await sys.token('domain_admin', 'modes'), 'modes');
    source = fileUrl(writeFile(sys.areaOf('modes'), 'sections.csv', GOOD));
  });
  after(async () => sys?.stop());

  it('batch: runs manually (trigger manual) without a schedule', async () => {
    const created = await jobs.create({ id: 'batch-manual', mode: 'batch', sourceUrl: source });
    assert.equal(created.status, 'unscheduled');
    const res = await jobs.post('batch-manual', 'run');
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.result, 'started');
    const job = await jobs.waitForRuns('batch-manual', 1);
    assert.equal(job.lastRuns[0].outcome, 'completed');
    assert.equal(job.lastRuns[0].trigger, 'manual');
    assert.equal(job.status, 'unscheduled');
    const [run] = await jobs.runs('batch-manual');
    assert.deepEqual([run!.trigger, run!.attempt, run!.status], ['manual', 1, 'completed']);
    await recordHistory(sys.client, jobWorkflowId('modes', 'batch-manual'), 'job-batch-manual');
    await recordHistory(sys.client, run!.workflowId, 'run-completed');
  });

  it('batch: runs when its Temporal Schedule fires (trigger schedule), with the next run time from the schedule', async () => {
    const created = await jobs.create({ id: 'batch-scheduled', mode: 'batch', sourceUrl: source, scheduling: { type: 'automatic' } });
    assert.equal(created.status, 'scheduled');
    const job0 = await jobs.waitFor('batch-scheduled', (j) => !!j.nextRunAt, 'a next run time');
    assert.ok(Date.parse(job0.nextRunAt) > Date.now());
    await jobs.schedule('batch-scheduled').trigger();
    const job = await jobs.waitForRuns('batch-scheduled', 1);
    assert.equal(job.lastRuns[0].trigger, 'schedule');
    assert.equal(job.lastRuns[0].outcome, 'completed');
    assert.equal(job.status, 'scheduled');
    await recordHistory(sys.client, jobWorkflowId('modes', 'batch-scheduled'), 'job-batch-schedule');
  });

  it('batch import: a schedule of more than four runs a day is refused with a clear error', async () => {
    const res = await sys.call(await sys.token('domain_admin', 'modes'), 'POST', '/domains/modes/jobs', {
      id: 'too-often', name: 'Too often', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: source,
      scheduling: { type: 'scheduled', timing: { kind: 'cron', expression: '0 */4 * * *' } },
    });
    assert.equal(res.status, 422, res.text);
    assert.match(res.json.detail, /at most 4 times a day; this schedule runs it 6 times/);
  });

  it('realtime: a manual run is refused with a clear error; the schedule runs it every few seconds', async () => {
    await jobs.create({
      id: 'realtime', mode: 'realtime', sourceUrl: source, scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 3 } },
    });
    const refused = await jobs.post('realtime', 'run');
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.detail, 'A realtime job runs only on its schedule; it cannot be run manually.');
    // The schedule fires for real on the dev server, with no help from the test.
    const job = await jobs.waitFor('realtime', (j) => j.lastRuns.length >= 2, 'two scheduled runs');
    assert.deepEqual(job.lastRuns.slice(0, 2).map((r: { trigger: string }) => r.trigger), ['schedule', 'schedule']);
    assert.ok(job.lastRuns.every((r: { outcome: string }) => r.outcome === 'completed'));
    const runs = await jobs.runs('realtime');
    assert.deepEqual(runs.map((r) => r.number), runs.map((_, i) => i + 1), 'runs never overlap or skip a number');
    await jobs.post('realtime', 'pause', { note: 'end of test' });
    await jobs.waitFor('realtime', (j) => j.status === 'paused' && !j.currentRun, 'paused');
    await recordHistory(sys.client, jobWorkflowId('modes', 'realtime'), 'job-realtime-schedule');
  });

  it('realtime: a job without a schedule is refused', async () => {
    const res = await sys.call(await sys.token('domain_admin', 'modes'), 'POST', '/domains/modes/jobs', {
      id: 'realtime-none', name: 'No schedule', taskType: 'sectionsCsv', mode: 'realtime', sourceUrl: source,
    });
    assert.equal(res.status, 422, res.text);
    assert.match(res.json.detail, /realtime job must have a schedule/);
  });

  it('on-demand: runs on an API event (trigger event), refuses run-now, and refuses events while inactive', async () => {
    const created = await jobs.create({ id: 'on-demand', mode: 'on-demand', sourceUrl: source });
    assert.equal(created.status, 'unscheduled');
    const manual = await jobs.post('on-demand', 'run');
    assert.equal(manual.status, 409);
    assert.match(manual.json.detail, /on-demand job runs when an event arrives/);
    const event = await jobs.post('on-demand', 'events', { detail: 'a file was uploaded' });
    assert.equal(event.status, 202, event.text);
    const job = await jobs.waitForRuns('on-demand', 1);
    assert.equal(job.lastRuns[0].trigger, 'event');
    assert.equal(job.lastRuns[0].outcome, 'completed');
    await recordHistory(sys.client, jobWorkflowId('modes', 'on-demand'), 'job-on-demand-event');

    await jobs.create({ id: 'on-demand-off', mode: 'on-demand', sourceUrl: source, active: false });
    const off = await jobs.post('on-demand-off', 'events', {});
    assert.equal(off.status, 409);
    assert.match(off.json.detail, /not active/);
    assert.equal((await jobs.runs('on-demand-off')).length, 0);
  });

  it('batch export: runs manually through extracting and delivering, and the file arrives', async () => {
    const out = `${sys.areaOf('modes')}/exported-sections.csv`;
    await jobs.create({ id: 'export', mode: 'batch', direction: 'export', destinationUrl: fileUrl(out) });
    const res = await jobs.post('export', 'run');
    assert.equal(res.status, 202, res.text);
    const job = await jobs.waitForRuns('export', 1);
    assert.equal(job.lastRuns[0].outcome, 'completed', JSON.stringify(job.lastRuns[0]));
    const [run] = await jobs.runs('export');
    const logs = (await sys.call(await sys.token('domain_admin', 'modes'), 'GET', `/domains/modes/jobs/export/runs/1/logs`)).json.items.map((l: { message: string }) => l.message);
    assert.ok(logs.some((m: string) => /^Extracted /.test(m)) && logs.some((m: string) => /^Delivered \d+ rows/.test(m)), logs.join('\n'));
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.match(lines[0]!, /section_id/);
    assert.ok(lines.some((l) => l.startsWith('S-1,')), 'the imported sections are exported');
    await recordHistory(sys.client, run!.workflowId, 'run-export-completed');
  });

  it('on-demand: a schedule is refused', async () => {
    const res = await sys.call(await sys.token('domain_admin', 'modes'), 'POST', '/domains/modes/jobs', {
      id: 'on-demand-sched', name: 'x', taskType: 'sectionsCsv', mode: 'on-demand', sourceUrl: source, scheduling: { type: 'automatic' },
    });
    assert.equal(res.status, 422);
    assert.match(res.json.detail, /on-demand job has no schedule/);
  });
});
