import assert from 'node:assert/strict';
import { jobWorkflowId } from '../../contracts/workflowIds';
import type { jobWorkflow } from '../../workflows/jobWorkflow';
import { eventSignal, statusQuery } from '../../contracts/messages';
import { recordHistory } from '../replay/histories';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { GOOD, fileUrl, jobsApi, holdValidating, waitForGateWaiters, writeFile } from './helpers';

/** Pause, reactivate, run-now during a run, a worker restart and continue-as-new, on the real system. */
describe('lifecycle: control of a living job', () => {
  let sys: TestSystem;
  let jobs: ReturnType<typeof jobsApi>;
  let token: string;
  before(async () => {
    sys = await startSystem({ retryLimit: 0 });
    token = await sys.token('domain_admin', 'control');
    jobs = jobsApi(sys, token, 'control');
  });
  after(async () => sys?.stop());

  it('pause during a run: the run finishes, then the job and its schedule are paused (with who and why) until reactivated', async () => {
    const gate = await holdValidating(sys);
    await jobs.create({ id: 'pause-during', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('control'), 'pause-during.csv', GOOD)), scheduling: { type: 'automatic' } });
    await jobs.post('pause-during', 'run');
    await jobs.waitForPhase('pause-during', 'validating');
    assert.equal((await jobs.post('pause-during', 'pause', { note: 'term break' })).status, 202);
    const during = await jobs.waitFor('pause-during', (j) => !!j.paused, 'the pause recorded');
    assert.equal(during.status, 'running', 'the run in progress carries on');
    await gate.release();
    const job = await jobs.waitFor('pause-during', (j) => j.status === 'paused', 'paused after the run');
    assert.equal(job.lastRuns[0].outcome, 'completed');
    const desc = await eventually(async () => {
      const d = await jobs.schedule('pause-during').describe();
      return d.state.paused ? d : undefined;
    }, 'the schedule paused');
    assert.equal(desc.state.note, 'Paused by domain_admin@control: term break');
    const refused = await jobs.post('pause-during', 'run');
    assert.equal(refused.status, 409);
    assert.match(refused.json.detail, /paused/);

    await jobs.post('pause-during', 'reactivate');
    const back = await jobs.waitFor('pause-during', (j) => j.status === 'scheduled' && !!j.nextRunAt, 'scheduled again');
    assert.equal(back.paused, null);
    // The job workflow unpauses its schedule right after it reactivates.
    await eventually(async () => ((await jobs.schedule('pause-during').describe()).state.paused ? undefined : true), 'the schedule unpaused');
    assert.equal((await jobs.runs('pause-during')).length, 1);
  });

  it('the list shows a run in progress as running (status and icon filters too), then the job as it is; the job workflow publishes only its own state', async () => {
    const gate = await holdValidating(sys);
    await jobs.create({ id: 'listed-running', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('control'), 'listed.csv', GOOD)), scheduling: { type: 'automatic' } });
    await jobs.post('listed-running', 'run');
    await jobs.waitForPhase('listed-running', 'validating');
    const listed = async (query: string) => (await sys.call(token, 'GET', `/domains/control/jobs?${query}`)).json.items
      .filter((j: { id: string }) => j.id === 'listed-running').map((j: { status: string }) => j.status);
    assert.deepEqual(await listed('q=listed-running'), ['running']);
    assert.deepEqual(await listed('status=running'), ['running']);
    assert.deepEqual(await listed('icon=running'), ['running']);
    // Visibility's JobStatus is the job's own state: no upsert at a run's start and end.
    const published = await sys.client.workflow.getHandle(jobWorkflowId('control', 'listed-running')).describe();
    assert.equal(published.searchAttributes.JobStatus?.[0], 'scheduled');
    await gate.release();
    await jobs.waitForRuns('listed-running', 1);
    assert.deepEqual(await listed('q=listed-running'), ['scheduled']);
    assert.deepEqual(await listed('status=running'), []);
  });

  it('pause between runs: schedule ticks are refused while paused; after reactivating the schedule runs it again', async () => {
    await jobs.create({ id: 'pause-between', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('control'), 'between.csv', GOOD)), scheduling: { type: 'automatic' } });
    await jobs.post('pause-between', 'pause', {});
    await jobs.waitFor('pause-between', (j) => j.status === 'paused', 'paused');
    await eventually(async () => ((await jobs.schedule('pause-between').describe()).state.paused ? true : undefined), 'the schedule paused');
    // An operator triggers the paused schedule by hand: the job still refuses to run.
    await jobs.schedule('pause-between').trigger();
    const refusedTick = await jobs.waitFor('pause-between', (j) => j.refusals.length > 0, 'the tick refused');
    assert.equal(refusedTick.refusals[0].trigger, 'schedule');
    assert.match(refusedTick.refusals[0].reason, /paused/);
    assert.equal((await jobs.runs('pause-between')).length, 0);

    await jobs.post('pause-between', 'reactivate');
    await jobs.waitFor('pause-between', (j) => j.status === 'scheduled', 'scheduled again');
    // A schedule names the workflows it starts by the second: a second trigger within the
    // same second as the first would be dropped as a duplicate.
    await new Promise((r) => setTimeout(r, 1_100));
    await jobs.schedule('pause-between').trigger();
    const job = await jobs.waitForRuns('pause-between', 1);
    assert.equal(job.lastRuns[0].trigger, 'schedule');
    assert.equal(job.lastRuns[0].outcome, 'completed');
  });

  it('two run-nows during a run are queued once: exactly one more run follows', async () => {
    const gate = await holdValidating(sys);
    await jobs.create({ id: 'queue', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('control'), 'queue.csv', GOOD)) });
    assert.equal((await jobs.post('queue', 'run')).json.result, 'started');
    await jobs.waitForPhase('queue', 'validating');
    const first = await jobs.post('queue', 'run');
    assert.equal(first.json.result, 'queued');
    await jobs.waitFor('queue', (j) => !!j.queuedRun, 'the request queued');
    const second = await jobs.post('queue', 'run');
    assert.equal(second.json.result, 'already_queued');
    // A second gate, queued behind run 1: run 2 is held in validating in its turn.
    await waitForGateWaiters(sys, 1);
    const next = holdValidating(sys);
    await waitForGateWaiters(sys, 2);
    await gate.release();
    await jobs.waitFor('queue', (j) => j.lastRuns.length === 1 && j.currentRun?.number === 2 && j.currentRun.phase === 'validating', 'run 2 reading');
    await (await next).release();
    const job = await jobs.waitForRuns('queue', 2);
    assert.equal(job.queuedRun, null);
    assert.deepEqual((await jobs.runs('queue')).map((r) => [r.number, r.trigger, r.status]), [[1, 'manual', 'completed'], [2, 'manual', 'completed']]);
  });

  it('a run workflow terminated by an operator: its record is closed as failed, not left in its phase', async () => {
    const gate = await holdValidating(sys);
    try {
      await jobs.create({ id: 'terminated', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('control'), 'terminated.csv', GOOD)) });
      await jobs.post('terminated', 'run');
      const running = await jobs.waitForPhase('terminated', 'validating');
      await sys.client.workflow.getHandle(running.currentRun.workflowId).terminate('stuck, says the operator');
      const job = await jobs.waitFor('terminated', (j) => j.lastRuns.length === 1 && !j.currentRun, 'run 1 recorded');
      const reason = 'The run ended abnormally; see its workflow in Temporal Web.';
      assert.deepEqual([job.lastRuns[0].outcome, job.lastRuns[0].reason], ['failed', reason]);
      const { json: run } = await sys.call(await sys.token('read_only', 'control'), 'GET', '/domains/control/jobs/terminated/runs/1');
      assert.deepEqual([run.status, run.reason, !!run.endedAt], ['failed', reason, true]);
    } finally {
      await gate.release();
    }
  });

  it('a worker restarted in the middle of a run: the run completes on the new worker', async () => {
    const gate = await holdValidating(sys);
    await jobs.create({ id: 'restart', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('control'), 'restart.csv', GOOD)) });
    await jobs.post('restart', 'run');
    await jobs.waitForPhase('restart', 'validating');
    // The old worker drains its reading activity as it shuts down; the workflows and the
    // later phases carry on on a new worker that has none of them cached.
    const restarting = sys.restartWorker();
    await new Promise((r) => setTimeout(r, 500));
    await gate.release();
    await restarting;
    const job = await jobs.waitForRuns('restart', 1);
    assert.equal(job.lastRuns[0].outcome, 'completed');
    assert.equal(job.lastRuns[0].counters.read, 2);
    assert.equal(job.status, 'unscheduled');
  });

  it('continues-as-new in the middle of its life and keeps its runs, numbering and refusals', async () => {
    await jobs.create({ id: 'long-life', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('control'), 'long.csv', GOOD)) });
    // Restart the job workflow with a low history limit (JOB_HISTORY_LIMIT in production).
    const workflowId = jobWorkflowId('control', 'long-life');
    const before = await sys.client.workflow.getHandle(workflowId).query(statusQuery);
    await sys.client.workflow.getHandle(workflowId).terminate('restarted by the test with a low history limit');
    const handle = await sys.client.workflow.start<typeof jobWorkflow>('jobWorkflow', {
      workflowId,
      taskQueue: sys.taskQueue,
      args: [{ domain: 'control', jobId: 'long-life', name: 'long-life', direction: 'import', taskType: 'sectionsCsv', settings: before.settings, historyLimit: 60 }],
    });
    const firstRunId = handle.firstExecutionRunId;
    // Straight to the workflow (the API would refuse it first): a refusal it must remember.
    await handle.signal(eventSignal, { source: 'test' });
    for (let n = 1; n <= 4; n++) {
      await jobs.post('long-life', 'run');
      await jobs.waitForRuns('long-life', n);
    }
    const desc = await eventually(async () => {
      const d = await sys.client.workflow.getHandle(workflowId).describe();
      return d.runId !== firstRunId && d.status.name === 'RUNNING' ? d : undefined;
    }, 'a continued-as-new execution');
    assert.ok(desc.historyLength < 60 + 40);
    const job = await jobs.get('long-life');
    assert.deepEqual(job.lastRuns.map((r: { number: number }) => r.number), [4, 3, 2, 1]);
    assert.ok(job.lastRuns.every((r: { outcome: string }) => r.outcome === 'completed'));
    assert.equal(job.refusals.length, 1);
    assert.match(job.refusals[0].reason, /Only on-demand jobs/);
    // Work goes on after it: run 5 gets the next number.
    await jobs.post('long-life', 'run');
    const after = await jobs.waitForRuns('long-life', 5);
    assert.equal(after.lastRuns[0].number, 5);
    assert.equal((await jobs.runs('long-life')).length, 5);
    await recordHistory(sys.client, workflowId, 'job-continued-as-new', firstRunId);
  });
});
