import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { FAILED_TYPES, HALTED_TYPES } from '../../domain/failures';
import { jobWorkflowId, runWorkflowId } from '../../contracts/workflowIds';
import { emptyCounters, type RunCounters } from '../../domain/runStatus';
import type { runWorkflow, RunWorkflowInput } from '../../workflows/runWorkflow';
import { RunStatusKey } from '../../contracts/searchAttributes';
import { GOOD_COUNTERS, startWorkflowTestEnv, type WorkflowTestEnv } from './helpers';

/**
 * One run's glue with mocked activities: its phases in order, its outcome from the counters or
 * from the failure type an activity threw, and the run record and RunStatus written whatever happened.
 */
describe('workflows: one run', function () {
  // Each test takes a second or two: one that hangs has found a bug, not a slow machine.
  this.timeout(30_000);
  let t: WorkflowTestEnv;
  before(async () => {
    t = await startWorkflowTestEnv();
  });
  afterEach(async () => t.reset());
  after(async () => t?.stop());

  let runs = 0;
  /** Runs a run workflow of its own job to its end; returns its result and RunStatus. */
  async function run(jobId: string, direction: 'import' | 'export' = 'import') {
    const input: RunWorkflowInput = {
      domain: t.domain, jobId, runNumber: ++runs, trigger: 'manual', attempt: 1, direction, taskType: 'sectionsCsv',
      jobWorkflowId: jobWorkflowId(t.domain, jobId), // lean runs do not signal it
    };
    const handle = await t.client.workflow.start<typeof runWorkflow>('runWorkflow', {
      workflowId: runWorkflowId(t.domain, jobId, input.runNumber), taskQueue: t.taskQueue, args: [input],
    });
    const result = await handle.result();
    const runStatus = (await handle.describe()).typedSearchAttributes.get(RunStatusKey);
    const phases = t.mocks.calls.filter((c) => c.input.jobId === jobId).map((c) => c.name);
    return { result, runStatus, phases };
  }
  const counters = (over: Partial<RunCounters>): RunCounters => ({ ...emptyCounters(), ...over });

  it('an import goes through validate, process and load; its outcome follows its counters', async () => {
    t.mocks.set({ loadImport: async () => counters({ read: 3, inserted: 2, warnings: 1 }) });
    const { result, runStatus, phases } = await run('import-warnings');
    assert.deepEqual(phases, ['recordRunStart', 'validateImport', 'processImport', 'loadImport', 'recordRunEnd']);
    assert.equal(result.outcome, 'completed_with_warnings');
    assert.deepEqual(result.counters, counters({ read: 3, inserted: 2, warnings: 1 }));
    assert.equal(runStatus, 'completed_with_warnings');
    assert.deepEqual(t.mocks.of('recordRunEnd', 'import-warnings').map((r) => [r.outcome, r.reason]), [['completed_with_warnings', undefined]]);

    t.mocks.set({ loadImport: async () => counters({ read: 3, inserted: 2, rejected: 1 }) });
    assert.equal((await run('import-rejects')).result.outcome, 'partially_completed');
  });

  it('an export goes through extract and deliver', async () => {
    const { result, phases } = await run('export', 'export');
    assert.deepEqual(phases, ['recordRunStart', 'extractExport', 'deliverExport', 'recordRunEnd']);
    assert.deepEqual([result.outcome, result.counters], ['completed', GOOD_COUNTERS]);
  });

  it("a failure type decides the outcome (failed or halted), with the activity's message as the reason; later phases do not run", async () => {
    t.mocks.set({ processImport: async () => { throw ApplicationFailure.nonRetryable('The source went away.', FAILED_TYPES.sourceUnavailable); } });
    const failed = await run('fails');
    assert.deepEqual([failed.result.outcome, failed.result.reason, failed.runStatus], ['failed', 'The source went away.', 'failed']);
    assert.deepEqual(failed.phases, ['recordRunStart', 'validateImport', 'processImport', 'recordRunEnd']);

    t.mocks.set({ deliverExport: async () => { throw ApplicationFailure.nonRetryable('ftp://10.0.0.1 is not a public address.', HALTED_TYPES.destinationRefused); } });
    const halted = await run('halts', 'export');
    assert.deepEqual([halted.result.outcome, halted.result.reason, halted.runStatus], ['halted', 'ftp://10.0.0.1 is not a public address.', 'halted']);
    assert.deepEqual(t.mocks.of('recordRunEnd', 'halts').map((r) => [r.outcome, r.reason]), [['halted', 'ftp://10.0.0.1 is not a public address.']]);
  });

  it('a failure a retry can fix (a dropped connection) is retried by the activity, and the run completes', async () => {
    let calls = 0;
    t.mocks.set({
      validateImport: async () => {
        if (++calls === 1) throw new Error('Connection terminated unexpectedly');
        return GOOD_COUNTERS;
      },
    });
    const { result, phases } = await run('flaky');
    assert.equal(result.outcome, 'completed');
    // The whole run is one activity (runPhases): its retry passes again over the record's start (made once).
    assert.deepEqual(phases, ['recordRunStart', 'validateImport', 'recordRunStart', 'validateImport', 'processImport', 'loadImport', 'recordRunEnd']);
  });
});
