import assert from 'node:assert/strict';
import { recordHistory } from '../replay/histories';
import { startSystem, type TestSystem } from '../setup/system';
import { GOOD, WITH_REJECTS, WITH_WARNINGS, fileUrl, jobsApi, holdValidating, writeFile } from './helpers';

/** PRODUCT.md, Statuses: every outcome a run can end with (retries off, so each run stands alone). */
describe('lifecycle: run outcomes', () => {
  let sys: TestSystem;
  let jobs: ReturnType<typeof jobsApi>;
  before(async () => {
    sys = await startSystem({ retryLimit: 0 });
    jobs = jobsApi(sys, await sys.token('domain_admin', 'outcomes'), 'outcomes');
  });
  after(async () => sys?.stop());

  /** Creates a batch job on `sourceUrl`, runs it once and returns the run record and the job. */
  async function runOnce(id: string, sourceUrl: string) {
    await jobs.create({ id, mode: 'batch', sourceUrl });
    const res = await jobs.post(id, 'run');
    assert.equal(res.status, 202, res.text);
    const job = await jobs.waitForRuns(id, 1);
    const [run] = await jobs.runs(id);
    return { job, run: run! };
  }

  it('completed_with_warnings: every row goes in, with warnings', async () => {
    const { job, run } = await runOnce('warnings', fileUrl(writeFile(sys.areaOf('outcomes'), 'warnings.csv', WITH_WARNINGS)));
    assert.equal(run.status, 'completed_with_warnings');
    assert.equal(job.lastRuns[0].outcome, 'completed_with_warnings');
    assert.equal(job.lastRuns[0].counters.inserted, 2);
    assert.ok(job.lastRuns[0].counters.warnings >= 1);
    await recordHistory(sys.client, run.workflowId, 'run-completed_with_warnings');
  });

  it('partially_completed: bad rows are rejected, the others go in', async () => {
    const { job, run } = await runOnce('rejects', fileUrl(writeFile(sys.areaOf('outcomes'), 'rejects.csv', WITH_REJECTS)));
    assert.equal(run.status, 'partially_completed');
    assert.equal(job.lastRuns[0].counters.inserted, 2);
    assert.equal(job.lastRuns[0].counters.rejected, 1);
    await recordHistory(sys.client, run.workflowId, 'run-partially_completed');
  });

  it('failed: a missing source file stops the run before any data, with the reason', async () => {
    const { job, run } = await runOnce('missing', fileUrl(`${sys.areaOf('outcomes')}/nowhere.csv`));
    assert.equal(run.status, 'failed');
    assert.match(run.reason ?? '', /does not exist/);
    assert.equal(job.lastRuns[0].counters.inserted, 0);
    assert.equal(job.status, 'unscheduled', 'a failed run does not halt the job');
    await recordHistory(sys.client, run.workflowId, 'run-failed');
  });

  it('halted: a run that would pass the monthly row limit halts with "Limit reached", and with no retries left the job halts', async () => {
    // A system of its own with a limit of one row a month.
    const limited = await startSystem({ retryLimit: 0, monthlyRowLimit: 1 });
    try {
      const ljobs = jobsApi(limited, await limited.token('domain_admin', 'outcomes-limit'), 'outcomes-limit');
      await ljobs.create({ id: 'limit', mode: 'batch', sourceUrl: fileUrl(writeFile(limited.areaOf('outcomes-limit'), 'two.csv', GOOD)) });
      await ljobs.post('limit', 'run');
      const job = await ljobs.waitForRuns('limit', 1);
      const [run] = await ljobs.runs('limit');
      assert.equal(run!.status, 'halted');
      assert.match(run!.reason ?? '', /^Limit reached/);
      assert.equal(job.status, 'halted');
      assert.equal(job.halted.reason, run!.reason);
      const refused = await ljobs.post('limit', 'run');
      assert.equal(refused.status, 409);
      assert.match(refused.json.detail, /halted/);
      const { rows } = await limited.db.query(`select count(*)::int as n from sections where domain = 'outcomes-limit'`);
      assert.equal(rows[0].n, 0, 'a halted run ingests nothing');
      await recordHistory(limited.client, run!.workflowId, 'run-halted');
    } finally {
      await limited.stop();
    }
  });

  it('canceled: a person cancels the run in progress', async () => {
    const gate = await holdValidating(sys);
    await jobs.create({ id: 'cancel', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('outcomes'), 'cancel.csv', GOOD)) });
    await jobs.post('cancel', 'run');
    await jobs.waitForPhase('cancel', 'validating');
    const res = await jobs.post('cancel', 'cancel');
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.run, 1);
    // The validating activity learns of the cancellation once its held write returns.
    await gate.release();
    const job = await jobs.waitForRuns('cancel', 1);
    assert.equal(job.lastRuns[0].outcome, 'canceled');
    const [run] = await jobs.runs('cancel');
    assert.equal(run!.status, 'canceled');
    const { rows } = await sys.db.query(`select count(*)::int as n from sections where domain = 'outcomes' and section_id like 'S-%'`);
    assert.equal(rows[0].n, 0, 'nothing from a canceled run went in');
    const none = await jobs.post('cancel', 'cancel');
    assert.equal(none.status, 409, 'nothing left to cancel');
    await recordHistory(sys.client, run!.workflowId, 'run-canceled');
  });
});
