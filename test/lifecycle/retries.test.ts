import assert from 'node:assert/strict';
import { recordHistory } from '../replay/histories';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { GOOD, fileUrl, jobsApi, sleep, writeFile } from './helpers';
import { jobWorkflowId } from '../../contracts/workflowIds';

/**
 * PRODUCT.md, Statuses: failed and halted runs are rerun (2 times, 1 s apart here), then
 * the job carries on or halts. A monthly limit of one row makes every import halt.
 */
describe('lifecycle: retries and halts', () => {
  let sys: TestSystem;
  let jobs: ReturnType<typeof jobsApi>;
  before(async () => {
    sys = await startSystem({ retryLimit: 2, retryIntervalMs: 1_000, monthlyRowLimit: 1 });
    jobs = jobsApi(sys, await sys.token('domain_admin', 'retries'), 'retries');
  });
  after(async () => sys?.stop());

  it('a failed run is rerun twice (trigger retry, attempts 2 and 3), then the job stays on its schedule', async () => {
    await jobs.create({ id: 'fails', mode: 'batch', sourceUrl: fileUrl(`${sys.areaOf('retries')}/absent.csv`), scheduling: { type: 'automatic' } });
    await jobs.post('fails', 'run');
    const job = await jobs.waitFor('fails', (j) => j.lastRuns.length >= 3 && !j.currentRun && !j.retry, 'three runs and no retry pending');
    const runs = await jobs.runs('fails');
    assert.deepEqual(runs.map((r) => [r.number, r.trigger, r.attempt, r.status]), [
      [1, 'manual', 1, 'failed'], [2, 'retry', 2, 'failed'], [3, 'retry', 3, 'failed'],
    ]);
    assert.equal(job.status, 'scheduled');
    assert.equal(job.halted, null);
    const desc = await jobs.schedule('fails').describe();
    assert.equal(desc.state.paused, false);
    // Well past the retry interval: no fourth run.
    await sleep(3_000);
    assert.equal((await jobs.runs('fails')).length, 3);
    await recordHistory(sys.client, jobWorkflowId('retries', 'fails'), 'job-batch-failed-retries');
  });

  it('a halted run is rerun twice; if it still halts the job halts and its schedule pauses with the reason, until reactivated', async () => {
    await jobs.create({ id: 'halts', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('retries'), 'two.csv', GOOD)), scheduling: { type: 'automatic' } });
    await jobs.post('halts', 'run');
    const job = await jobs.waitFor('halts', (j) => j.status === 'halted', 'the job halted');
    const runs = await jobs.runs('halts');
    assert.deepEqual(runs.map((r) => [r.trigger, r.attempt, r.status]), [['manual', 1, 'halted'], ['retry', 2, 'halted'], ['retry', 3, 'halted']]);
    assert.match(runs[2]!.reason ?? '', /^Limit reached/);
    assert.equal(job.halted.reason, runs[2]!.reason);
    const paused = await eventually(async () => {
      const d = await jobs.schedule('halts').describe();
      return d.state.paused ? d : undefined;
    }, 'the schedule paused');
    assert.equal(paused.state.note, `Halted: ${job.halted.reason}`);
    // A schedule tick while halted is refused by the job: no run.
    await jobs.schedule('halts').trigger();
    await jobs.waitFor('halts', (j) => j.refusals.some((r: { trigger: string }) => r.trigger === 'schedule'), 'the tick refused');
    assert.equal((await jobs.runs('halts')).length, 3);

    const res = await jobs.post('halts', 'reactivate');
    assert.equal(res.status, 202);
    const back = await jobs.waitFor('halts', (j) => j.status === 'scheduled' && !!j.nextRunAt, 'scheduled again');
    assert.equal(back.halted, null);
    // The job workflow unpauses its schedule right after it reactivates.
    await eventually(async () => ((await jobs.schedule('halts').describe()).state.paused ? undefined : true), 'the schedule unpaused');
    await recordHistory(sys.client, jobWorkflowId('retries', 'halts'), 'job-batch-halted-reactivated');
  });
});
