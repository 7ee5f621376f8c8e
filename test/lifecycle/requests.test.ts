import assert from 'node:assert/strict';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { definitionChangedSignal, eventSignal, pauseSignal, reactivateSignal, runNowSignal, statusQuery } from '../../contracts/messages';
import type { jobWorkflow } from '../../workflows/jobWorkflow';
import { recordHistory } from '../replay/histories';
import { startSystem, type TestSystem } from '../setup/system';
import { GOOD, fileUrl, holdValidating, jobsApi, sleep, waitForGateWaiters, writeFile } from './helpers';

/**
 * A person's run-now, event, pause and reactivate reach the job workflow as one Workflow
 * Update each: the API answers with the workflow's own decision or refusal, and 503 when no
 * worker takes the request in time (which then expires unapplied). Schedules and older callers
 * still signal.
 */
describe("lifecycle: a person's requests answered by the job workflow", () => {
  let sys: TestSystem;
  let jobs: ReturnType<typeof jobsApi>;
  let source: string;
  before(async () => {
    sys = await startSystem({ retryLimit: 0 });
    jobs = jobsApi(sys, await sys.token('domain_admin', 'requests'), 'requests');
    source = fileUrl(writeFile(sys.areaOf('requests'), 'sections.csv', GOOD));
  });
  after(async () => sys?.stop());

  it('run-now answers started, queued, then already_queued; pause and reactivate answer what they did', async () => {
    const gate = await holdValidating(sys);
    await jobs.create({ id: 'answers', mode: 'batch', sourceUrl: source });
    const started = await jobs.post('answers', 'run');
    assert.equal(started.status, 202, started.text);
    assert.deepEqual(started.json, { result: 'started' });
    await jobs.waitForPhase('answers', 'validating');
    assert.deepEqual((await jobs.post('answers', 'run')).json, { result: 'queued' });
    // The answer is the workflow's state already: no wait for the queue to show.
    assert.deepEqual((await jobs.post('answers', 'run')).json, { result: 'already_queued' });
    assert.equal((await jobs.get('answers')).queuedRun?.trigger, 'manual');

    const paused = await jobs.post('answers', 'pause', { note: 'term break' });
    assert.equal(paused.status, 202, paused.text);
    assert.deepEqual(paused.json, { result: 'paused' });
    const again = await jobs.post('answers', 'pause', { note: 'another reason' });
    assert.deepEqual(again.json, { result: 'already_paused' });
    const during = await jobs.get('answers');
    assert.deepEqual([during.status, during.paused.note, during.queuedRun], ['running', 'term break', null], 'the run goes on; the queued one is dropped');
    await gate.release();
    await jobs.waitFor('answers', (j) => j.status === 'paused', 'paused after its run');

    assert.deepEqual((await jobs.post('answers', 'reactivate')).json, { result: 'reactivated' });
    assert.deepEqual((await jobs.post('answers', 'reactivate')).json, { result: 'not_paused' });
    const job = await jobs.get('answers');
    assert.deepEqual([job.status, job.paused], ['unscheduled', null]);
    assert.deepEqual((await jobs.runs('answers')).map((r) => [r.number, r.status]), [[1, 'completed']], 'the dropped request never ran');
    await recordHistory(sys.client, jobWorkflowId('requests', 'answers'), 'job-updates-run-pause-reactivate');
  });

  it("refuses with the job's rules, as 409 problems with the reason, and records nothing", async () => {
    await jobs.create({ id: 'is-paused', mode: 'batch', sourceUrl: source });
    await jobs.post('is-paused', 'pause', {});
    await jobs.create({ id: 'is-realtime', mode: 'realtime', sourceUrl: source, scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 86_400 } } });
    await jobs.create({ id: 'is-on-demand', mode: 'on-demand', sourceUrl: source });
    await jobs.create({ id: 'is-inactive', mode: 'on-demand', sourceUrl: source, active: false });
    await jobs.create({ id: 'is-batch', mode: 'batch', sourceUrl: source });
    // Sampling (its settings say so), and halted (a workflow started with that state, as continue-as-new carries it).
    await jobs.create({ id: 'is-sampling', mode: 'batch', sourceUrl: source });
    const sampling = sys.client.workflow.getHandle(jobWorkflowId('requests', 'is-sampling'));
    const settings = (await sampling.query(statusQuery)).settings;
    await sampling.signal(definitionChangedSignal, { settings: { ...settings, setupStatus: 'sampling' }, name: 'is-sampling' });
    await jobs.create({ id: 'is-halted', mode: 'batch', sourceUrl: source });
    const haltedId = jobWorkflowId('requests', 'is-halted');
    await sys.client.workflow.getHandle(haltedId).terminate('restarted by the test as a halted job');
    await sys.client.workflow.start<typeof jobWorkflow>('jobWorkflow', {
      workflowId: haltedId, taskQueue: sys.taskQueue,
      args: [{ domain: 'requests', jobId: 'is-halted', name: 'is-halted', direction: 'import', taskType: 'sectionsCsv', settings,
        state: { settings, runCounter: 3, lastRuns: [], deleted: false, halted: { reason: 'Row limit reached', at: new Date().toISOString() } } }],
    });
    await jobs.create({ id: 'is-gone', mode: 'batch', sourceUrl: source });
    await sys.client.workflow.getHandle(jobWorkflowId('requests', 'is-gone')).terminate('its workflow is gone');

    const cases: [string, string, string, string][] = [
      ['is-paused', 'run', 'Run refused', 'The job is paused; reactivate it first.'],
      ['is-halted', 'run', 'Run refused', 'The job is halted (Row limit reached); reactivate it first.'],
      ['is-sampling', 'run', 'Run refused', 'The job is not ready to run (it is sampling).'],
      ['is-realtime', 'run', 'Run refused', 'A realtime job runs only on its schedule; it cannot be run manually.'],
      ['is-on-demand', 'run', 'Run refused', 'An on-demand job runs when an event arrives; send it an event instead.'],
      ['is-batch', 'events', 'Event refused', 'Only on-demand jobs run on events.'],
      ['is-inactive', 'events', 'Event refused', 'The on-demand job is not active.'],
      ['is-gone', 'run', 'Job not running', 'The job workflow is not running; update the job to restart it.'],
      ['is-gone', 'pause', 'Job not running', 'The job workflow is not running; update the job to restart it.'],
    ];
    for (const [id, action, title, detail] of cases) {
      const res = await jobs.post(id, action, action === 'run' ? undefined : {});
      assert.deepEqual([res.status, res.json.title, res.json.detail], [409, title, detail], `${id} ${action}`);
    }
    // A refused update never entered history (the paused job's has its pause only), and the
    // state keeps no refusal: the person got it as the answer.
    const updatesIn = async (id: string) =>
      (await sys.client.workflow.getHandle(jobWorkflowId('requests', id)).fetchHistory()).events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    assert.equal(await updatesIn('is-paused'), 1);
    for (const id of ['is-halted', 'is-sampling', 'is-realtime', 'is-on-demand', 'is-batch', 'is-inactive']) {
      assert.equal(await updatesIn(id), 0, id);
      assert.deepEqual((await jobs.get(id)).refusals, [], id);
    }
    // Reactivated, the halted job runs, numbered after the runs it had.
    assert.deepEqual((await jobs.post('is-halted', 'reactivate')).json, { result: 'reactivated' });
    assert.deepEqual((await jobs.post('is-halted', 'run')).json, { result: 'started' });
    const ran = await jobs.waitFor('is-halted', (j) => j.lastRuns[0]?.number === 4 && !j.currentRun, 'run 4 ended');
    assert.equal(ran.lastRuns[0].outcome, 'completed');
  });

  it("bulk run-now reports each job's own answer", async () => {
    const gate = await holdValidating(sys);
    await jobs.create({ id: 'bulk-busy', mode: 'batch', sourceUrl: source });
    await jobs.post('bulk-busy', 'run');
    await jobs.waitForPhase('bulk-busy', 'validating');
    await jobs.create({ id: 'bulk-idle', mode: 'batch', sourceUrl: source });
    await jobs.create({ id: 'bulk-realtime', mode: 'realtime', sourceUrl: source, scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 86_400 } } });
    const token = await sys.token('domain_admin', 'requests');
    const res = await sys.call(token, 'POST', '/domains/requests/jobs/run', { jobs: ['bulk-idle', 'bulk-busy', 'bulk-realtime', 'bulk-missing'] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results, [
      { job: 'bulk-idle', result: 'started' },
      { job: 'bulk-busy', result: 'queued' },
      { job: 'bulk-realtime', result: 'refused', reason: 'A realtime job runs only on its schedule; it cannot be run manually.' },
      { job: 'bulk-missing', result: 'not_found' },
    ]);
    await waitForGateWaiters(sys, 1);
    await gate.release();
    await jobs.waitForRuns('bulk-idle', 1);
    await jobs.waitForRuns('bulk-busy', 2);
    assert.deepEqual((await jobs.runs('bulk-busy')).map((r) => [r.number, r.status]), [[1, 'completed'], [2, 'completed']]);
  });

  it('signals still work: the schedule, the source watch and callers from before the updates are obeyed', async () => {
    await jobs.create({ id: 'signals', mode: 'batch', sourceUrl: source });
    const handle = sys.client.workflow.getHandle(jobWorkflowId('requests', 'signals'));
    await handle.signal(runNowSignal, { trigger: 'manual', requestedBy: 'an older API' });
    const ran = await jobs.waitForRuns('signals', 1);
    assert.deepEqual([ran.lastRuns[0].trigger, ran.lastRuns[0].outcome], ['manual', 'completed']);
    await handle.signal(pauseSignal, { by: 'an older API', note: 'by signal' });
    const paused = await jobs.waitFor('signals', (j) => j.status === 'paused', 'paused by signal');
    assert.deepEqual([paused.paused.by, paused.paused.note], ['an older API', 'by signal']);
    // A signal's refusal has no caller to answer: the job keeps it in its state.
    await handle.signal(runNowSignal, { trigger: 'manual', requestedBy: 'an older API' });
    const refused = await jobs.waitFor('signals', (j) => j.refusals.length === 1, 'the refusal kept');
    assert.equal(refused.refusals[0].reason, 'The job is paused; reactivate it first.');
    await handle.signal(reactivateSignal, { by: 'an older API' });
    await jobs.waitFor('signals', (j) => j.status === 'unscheduled', 'reactivated by signal');
    // Signals and updates mix in one history.
    assert.deepEqual((await jobs.post('signals', 'run')).json, { result: 'started' });
    await jobs.waitForRuns('signals', 2);

    await jobs.create({ id: 'signals-event', mode: 'on-demand', sourceUrl: source });
    await sys.client.workflow.getHandle(jobWorkflowId('requests', 'signals-event')).signal(eventSignal, { source: 'a file landed' });
    assert.equal((await jobs.waitForRuns('signals-event', 1)).lastRuns[0].trigger, 'event');
    await recordHistory(sys.client, jobWorkflowId('requests', 'signals'), 'job-signals-and-updates');
  });
});

describe('lifecycle: a request no worker answers', () => {
  const TIMEOUT_MS = 2_000;
  let sys: TestSystem;
  let jobs: ReturnType<typeof jobsApi>;
  before(async () => {
    sys = await startSystem({ retryLimit: 0, runRequestTimeoutMs: TIMEOUT_MS });
    jobs = jobsApi(sys, await sys.token('domain_admin', 'no-worker'), 'no-worker');
  });
  after(async () => sys?.stop());

  it('answers 503 within the timeout, and the job is unchanged when a worker comes back', async () => {
    const source = fileUrl(writeFile(sys.areaOf('no-worker'), 'sections.csv', GOOD));
    await jobs.create({ id: 'stranded', mode: 'batch', sourceUrl: source });
    await jobs.waitFor('stranded', (j) => j.status === 'unscheduled', 'its workflow answering');
    await sys.stopWorker();

    for (const [action, body] of [['run', undefined], ['pause', { note: 'nobody hears this' }]] as const) {
      const t0 = Date.now();
      const res = await jobs.post('stranded', action, body);
      const took = Date.now() - t0;
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json.title, 'No worker answered');
      assert.match(res.json.detail, /^No worker took the request within 2 s .*Nothing was changed: the request has expired/);
      assert.ok(took >= TIMEOUT_MS - 100 && took < TIMEOUT_MS + 1_500, `answered after ${took} ms`);
    }
    const token = await sys.token('domain_admin', 'no-worker');
    const bulk = await sys.call(token, 'POST', '/domains/no-worker/jobs/run', { jobs: ['stranded', 'nowhere'] });
    assert.deepEqual(bulk.json.results.map((r: { result: string }) => r.result), ['unavailable', 'not_found']);
    assert.match(bulk.json.results[0].reason, /No worker took the request/);

    await sys.restartWorker();
    // The workflow answers again, having refused the three expired requests.
    await jobs.waitFor('stranded', (j) => j.status !== 'unknown', 'its workflow answering again');
    await sleep(1_000);
    const job = await jobs.get('stranded');
    assert.deepEqual([job.status, job.paused, job.queuedRun, job.currentRun, job.lastRuns], ['unscheduled', null, null, null, []]);
    assert.deepEqual(await jobs.runs('stranded'), []);
    // And a request now is answered and applied: the first run, not a queued second one.
    assert.deepEqual((await jobs.post('stranded', 'run')).json, { result: 'started' });
    assert.deepEqual((await jobs.waitForRuns('stranded', 1)).lastRuns.map((r: { number: number }) => r.number), [1]);
  });
});
