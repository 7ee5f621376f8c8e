import assert from 'node:assert/strict';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { recordHistory } from '../replay/histories';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { GOOD, fileUrl, holdValidating, jobsApi, sleep, writeFile } from './helpers';

const D = 'slot';
const ABNORMAL = 'The run ended abnormally; see its workflow in Temporal Web.';
// A schedule that never fires by itself during the test: each run is a trigger, as Temporal starts a tick.
const weekly = { type: 'scheduled', timing: { kind: 'calendar', days: ['SUNDAY'], times: ['03:00'] } };

/**
 * Runs a job's Schedule starts itself (workflows/scheduledJobRunWorkflow.ts), and the run slot
 * that keeps them and the job's own runs one at a time (io/runSlot.ts), on the real system.
 */
describe('lifecycle: runs started by their Schedule', () => {
  let sys: TestSystem;
  let jobs: ReturnType<typeof jobsApi>;
  before(async () => {
    sys = await startSystem({ retryLimit: 1, retryIntervalMs: 500 });
    jobs = jobsApi(sys, await sys.token('domain_admin', D), D);
  });
  after(async () => sys?.stop());

  /** A scheduled batch job whose job workflow has told its Schedule's runs they may run. */
  const createScheduled = async (id: string, sourceUrl = fileUrl(writeFile(sys.areaOf(D), `${id}.csv`, GOOD))) => {
    await jobs.create({ id, mode: 'batch', sourceUrl, scheduling: weekly });
    await eventually(async () => {
      const { rows } = await sys.db.query('select scheduled_runs_ask_job from jobs where domain = $1 and identifier = $2', [D, id]);
      return rows[0]?.scheduled_runs_ask_job === false ? true : undefined;
    }, `${id}: its scheduled runs free to run`);
  };
  const history = async (workflowId: string) => (await sys.client.workflow.getHandle(workflowId).fetchHistory()).events!;

  it('a scheduled run that goes well is one workflow the Schedule started, with one activity, and no work for the job workflow', async () => {
    await createScheduled('one');
    await jobs.schedule('one').trigger();
    const job = await jobs.waitForRuns('one', 1);
    assert.deepEqual(job.lastRuns.map((r: { number: number; trigger: string; outcome: string }) => [r.number, r.trigger, r.outcome]), [[1, 'schedule', 'completed']]);
    const [run] = await jobs.runs('one');
    assert.match(run!.workflowId, new RegExp(`^run-${D}-one-at-`));
    const desc = await sys.client.workflow.getHandle(run!.workflowId).describe();
    assert.equal(desc.type, 'scheduledJobRunWorkflow');
    assert.equal(desc.parentExecution, undefined, 'no job workflow started it');
    const activities = (await history(run!.workflowId)).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    assert.deepEqual(activities, ['runOnSchedule']);
    const jobEvents = await history(jobWorkflowId(D, 'one'));
    assert.ok(!jobEvents.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes), 'the job workflow started no run');
    assert.deepEqual(jobEvents.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => e.workflowExecutionSignaledEventAttributes!.signalName), [], 'nothing told the job');
    await recordHistory(sys.client, run!.workflowId, 'scheduled-run-completed');
  });

  it("a person's run-now during a scheduled run is queued behind it, once, and runs next; numbers go on", async () => {
    await createScheduled('behind');
    const gate = await holdValidating(sys);
    try {
      await jobs.schedule('behind').trigger();
      const during = await jobs.waitForPhase('behind', 'validating');
      assert.equal(during.status, 'running');
      assert.deepEqual([during.currentRun.number, during.currentRun.trigger], [1, 'schedule']);
      assert.equal((await jobs.post('behind', 'run')).json.result, 'queued');
      assert.equal((await jobs.post('behind', 'run')).json.result, 'already_queued');
    } finally {
      await gate.release();
    }
    await jobs.waitForRuns('behind', 2);
    assert.deepEqual((await jobs.runs('behind')).map((r) => [r.number, r.trigger, r.status]), [[1, 'schedule', 'completed'], [2, 'manual', 'completed']]);
    await recordHistory(sys.client, jobWorkflowId(D, 'behind'), 'job-waits-behind-scheduled-run');
  });

  it('a time fired the moment a pause is answered is refused and recorded paused; nothing runs', async () => {
    await createScheduled('paused');
    assert.equal((await jobs.post('paused', 'pause', { note: 'term break' })).json.result, 'paused');
    await jobs.schedule('paused').trigger();
    const job = await jobs.waitFor('paused', (j) => j.refusals.some((r: { trigger: string }) => r.trigger === 'schedule'), 'the scheduled time refused');
    assert.equal(job.refusals[0].reason, 'The job is paused; reactivate it first.');
    await eventually(async () => {
      const { rows } = await sys.db.query(`select m.reason from missed_schedules m join jobs j on j.id = m.job_id where j.domain = $1 and j.identifier = 'paused'`, [D]);
      return rows[0]?.reason === 'paused' ? true : undefined;
    }, 'the time in the missed-schedule ledger');
    assert.deepEqual(await jobs.runs('paused'), []);
  });

  it('a scheduled run that fails is rerun by the job (trigger retry), and the job stays on its schedule', async () => {
    await createScheduled('fails', fileUrl(`${sys.areaOf(D)}/absent.csv`));
    await jobs.schedule('fails').trigger();
    const job = await jobs.waitFor('fails', (j) => j.lastRuns.length === 2 && !j.currentRun && !j.retry, 'the run and its rerun ended');
    assert.equal(job.status, 'scheduled');
    assert.deepEqual((await jobs.runs('fails')).map((r) => [r.number, r.trigger, r.attempt, r.status]), [[1, 'schedule', 1, 'failed'], [2, 'retry', 2, 'failed']]);
    await recordHistory(sys.client, jobWorkflowId(D, 'fails'), 'job-scheduled-run-failed-rerun');
  });

  it('a scheduled run an operator terminated: the next run closes its record as failed and takes its place', async () => {
    await createScheduled('terminated');
    const gate = await holdValidating(sys);
    try {
      await jobs.schedule('terminated').trigger();
      const running = await jobs.waitForPhase('terminated', 'validating');
      await sys.client.workflow.getHandle(running.currentRun.workflowId).terminate('stuck, says the operator');
      // The next time (a second later: Temporal names a scheduled run by its second) finds run 1's record still open.
      await sleep(1_100);
      await jobs.schedule('terminated').trigger();
      await eventually(async () => ((await jobs.runs('terminated')).some((r) => r.number === 2) ? true : undefined), 'run 2 started');
    } finally {
      await gate.release();
    }
    await jobs.waitFor('terminated', (j) => j.lastRuns[0]?.number === 2 && !j.currentRun, 'run 2 ended');
    const [first, second] = await jobs.runs('terminated');
    // Closed, not left in its phase: failed, unless its activity (which a terminate does not stop
    // until its next heartbeat) committed the load meanwhile, which the record then says.
    const closedAs = first!.status === 'completed' ? [first!.status, first!.reason] : ['failed', ABNORMAL];
    assert.deepEqual([first!.number, first!.trigger, first!.status, first!.reason], [1, 'schedule', ...closedAs]);
    assert.deepEqual([second!.number, second!.trigger, second!.status], [2, 'schedule', 'completed']);
  });
});
