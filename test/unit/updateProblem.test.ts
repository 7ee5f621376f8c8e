import assert from 'node:assert/strict';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { REQUEST_EXPIRED, REQUEST_REFUSED } from '../../contracts/messages';
import { updateProblem } from '../../api/http/temporalProblem';

/**
 * How an update the job workflow did not apply becomes a problem. The real-system suite
 * (test/lifecycle/requests.test.ts) covers refusals and a stopped worker through the API; this
 * covers the answers it cannot produce on demand: a worker older than the updates, and clocks
 * that disagree.
 */
describe("a job workflow's update that did not apply, as a problem", () => {
  const asked = (expiresInMs: number) => ({ refusedTitle: 'Run refused', timeoutMs: 5_000, expiresAt: new Date(Date.now() + expiresInMs).toISOString() });
  const failed = (failure: ApplicationFailure) => new WorkflowUpdateFailedError('Workflow Update failed', failure);

  it("a refusal by the job's rules: 409 with the workflow's reason", () => {
    const p = updateProblem(failed(ApplicationFailure.create({ type: REQUEST_REFUSED, message: 'The job is paused; reactivate it first.', nonRetryable: true })), asked(4_000));
    assert.deepEqual([p?.status, p?.title, p?.message], [409, 'Run refused', 'The job is paused; reactivate it first.']);
  });

  it('no answer in time: 503 saying nothing was changed', () => {
    const p = updateProblem(new WorkflowUpdateRPCTimeoutOrCancelledError('timeout'), asked(-1_000));
    assert.deepEqual([p?.status, p?.title, p?.extra.retryAfter], [503, 'No worker answered', 5]);
    assert.match(p!.message, /^No worker took the request within 5 s .*Nothing was changed/);
  });

  it('refused as expired while the API still waits: 503, naming the clocks when the API thinks it has not expired', () => {
    const late = updateProblem(failed(ApplicationFailure.create({ type: REQUEST_EXPIRED, message: 'expired', nonRetryable: true })), asked(-10));
    assert.equal(late?.status, 503);
    assert.doesNotMatch(late!.message, /clock/);
    const skewed = updateProblem(failed(ApplicationFailure.create({ type: REQUEST_EXPIRED, message: 'expired', nonRetryable: true })), asked(3_000));
    assert.match(skewed!.message, /The Temporal server's clock is ahead of the API's/);
  });

  it('a worker from before the updates: 503 asking to update the workers', () => {
    const p = updateProblem(failed(ApplicationFailure.nonRetryable('No registered handler for update: runNow')), asked(4_000));
    assert.deepEqual([p?.status, p?.title], [503, 'Worker out of date']);
  });

  it('a job workflow that is gone: 409 as before', () => {
    const p = updateProblem(new WorkflowNotFoundError('gone', 'job-d-j', undefined), asked(4_000));
    assert.deepEqual([p?.status, p?.title], [409, 'Job not running']);
  });
});
