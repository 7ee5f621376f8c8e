import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { jobWorkflowId, runWorkflowId } from '../../contracts/workflowIds';
import { ENCRYPTED_ENCODING } from '../../temporal/payloadCodec';
import { checkScheduledRuns, jobOnGeneratedFile, rowsOf, runCount, runNow, sleep, waitForEnd } from '../faults/helpers';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { testCluster } from './clusterHooks';

/**
 * Every payload's encoding, and the text of every byte field, in a raw (undecoded) history.
 * Left out: search attributes (plaintext by design) and the SDK's own bookkeeping in markers
 * (patch ids, a local activity's sequence number and timing: everything in a marker's details
 * but its `result`), which the SDK writes without the codec.
 */
function rawPayloads(node: unknown, encodings: string[], texts: string[], plainByDesign = false, inMarkerDetails = false): void {
  if (!node || typeof node !== 'object') return;
  if (node instanceof Uint8Array) return void texts.push(Buffer.from(node).toString('utf8'));
  const o = node as Record<string, unknown>;
  if (!plainByDesign && o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
    encodings.push(Buffer.from((o.metadata as Record<string, Uint8Array>).encoding ?? []).toString());
  }
  for (const [k, v] of Object.entries(o)) {
    if (inMarkerDetails && k !== 'result') rawPayloads(v, encodings, texts, true);
    else if (k === 'markerRecordedEventAttributes') {
      const { details, ...rest } = v as { details?: unknown };
      rawPayloads(details, encodings, texts, plainByDesign, true);
      rawPayloads(rest, encodings, texts, plainByDesign);
    }
    else rawPayloads(v, encodings, texts, plainByDesign || k === 'indexedFields');
  }
}

/**
 * The product on the real Temporal server (go.temporal.io/server on PostgreSQL, as
 * `npm run temporal:cluster` runs it), reached over mTLS with every payload encrypted: the
 * end-to-end import, a scheduled job paused and reactivated, and two workers sharing the queue.
 */
describe('cluster: jobflow on the real Temporal server (mTLS, encrypted payloads)', function () {
  this.timeout(10 * 60_000);
  let sys: TestSystem;
  let token: string;
  before(async () => {
    sys = await startSystem();
    token = await sys.token('domain_admin', 'clu');
  });
  after(async () => sys?.stop());

  it('refuses a client without a certificate from its CA, and a plaintext one', async () => {
    const { address, certs } = testCluster();
    const serverOnly = { serverRootCACertificate: fs.readFileSync(certs.ca), serverNameOverride: certs.serverName };
    await assert.rejects(Connection.connect({ address, tls: serverOnly, connectTimeout: '2s' }), 'a client without a certificate got in');
    await assert.rejects(Connection.connect({ address, connectTimeout: '2s' }), 'a plaintext client got in');
  });

  it('imports a file end to end; Temporal holds only encrypted payloads', async () => {
    const secretName = 'Registrar ledger 2026';
    await jobOnGeneratedFile(sys, token, 'clu', 'ledger', 5_000, { name: secretName });
    await runNow(sys, token, 'clu', 'ledger');
    const run = await waitForEnd(sys, 'clu', 'ledger');
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.equal(run.inserted, 5_000);
    assert.deepEqual(await rowsOf(sys, 'clu', 'ledger'), { total: 5_000, distinct: 5_000 });
    // The job's view follows once its workflow has taken the run's result (a moment after the record).
    const job = await eventually(async () => {
      const j = (await sys.call(token, 'GET', '/domains/clu/jobs/ledger')).json;
      return j.lastOutcome ? j : undefined;
    }, 'the job to show its run');
    assert.equal(job.lastOutcome, 'completed');
    assert.equal(job.lastRuns[0].counters.inserted, 5_000);

    const encodings: string[] = [];
    const texts: string[] = [];
    for (const id of [jobWorkflowId('clu', 'ledger'), runWorkflowId('clu', 'ledger', 1)]) {
      rawPayloads(await sys.client.workflow.getHandle(id).fetchHistory(), encodings, texts);
    }
    assert.ok(encodings.length > 5, `payloads: ${encodings.length}`);
    assert.deepEqual([...new Set(encodings)], [ENCRYPTED_ENCODING], 'every payload is encrypted');
    const raw = texts.join('\n');
    for (const secret of [secretName, path.join(sys.areaOf('clu'), 'ledger.csv')]) assert.ok(!raw.includes(secret), `${secret} is readable in the server's history`);
  });

  it('runs a scheduled job on its schedule; a paused job does not run until reactivated; nothing lost or doubled', async () => {
    // Realtime: a batch import may not run more than four times a day.
    await jobOnGeneratedFile(sys, token, 'clu', 'ticking', 10, {
      mode: 'realtime', scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 3 } },
    });
    await eventually(async () => ((await runCount(sys, 'clu', 'ticking')) >= 3 ? true : undefined), 'three scheduled runs');
    assert.equal((await sys.call(token, 'POST', '/domains/clu/jobs/ticking/pause', { note: 'exam week' })).status, 202);
    const pausedAt = Date.now();
    await eventually(async () => ((await sys.call(token, 'GET', '/domains/clu/jobs/ticking')).json.status === 'paused' ? true : undefined), 'the job paused');
    const whilePaused = await runCount(sys, 'clu', 'ticking');
    await sleep(7_000);
    assert.equal(await runCount(sys, 'clu', 'ticking'), whilePaused, 'a paused job ran');
    await checkScheduledRuns(sys, 'clu', 'ticking', pausedAt, 3_000);

    assert.equal((await sys.call(token, 'POST', '/domains/clu/jobs/ticking/reactivate')).status, 202);
    await eventually(async () => ((await runCount(sys, 'clu', 'ticking')) >= whilePaused + 2 ? true : undefined), 'scheduled runs again');
    await sys.call(token, 'POST', '/domains/clu/jobs/ticking/pause', { note: 'end of test' });
  });

  it('shares the task queue between two workers: every run processed once, with exactly its rows', async () => {
    sys.spawnWorker(); // the second worker: its own process, the same mTLS settings and payload key
    await eventually(async () => {
      const { pollers } = await sys.client.workflowService.describeTaskQueue({
        namespace: sys.client.options.namespace, taskQueue: { name: sys.taskQueue }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return new Set(pollers?.map((p) => p.identity)).size >= 2 ? true : undefined;
    }, 'two workers polling the task queue');
    const jobs = Array.from({ length: 6 }, (_, i) => `pair${i}`);
    for (const id of jobs) await jobOnGeneratedFile(sys, token, 'clu', id, 5_000);
    await Promise.all(jobs.map((id) => runNow(sys, token, 'clu', id)));
    for (const id of jobs) {
      const run = await waitForEnd(sys, 'clu', id);
      assert.equal(run.status, 'completed', `${id}: ${run.reason}`);
      assert.deepEqual(await rowsOf(sys, 'clu', id), { total: 5_000, distinct: 5_000 }, id);
      assert.equal(await runCount(sys, 'clu', id), 1, id);
    }
  });
});
