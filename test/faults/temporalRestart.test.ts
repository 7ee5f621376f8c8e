import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config';
import { freePort } from '../../infra/ports';
import { cliSettings, findOrInstallCli } from '../../infra/temporalCli';
import { startDevServer, type TemporalServer } from '../../infra/temporalServer';
import { connectClient } from '../../temporal/connection';
import { ensureSearchAttributes } from '../../temporal/searchAttributes';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { defaultPayloadConverter } from '@temporalio/common';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { ScheduledStartTimeKey } from '../../contracts/searchAttributes';
import { jobOnGeneratedFile, rowsOf, runCount, runNow, runScheduledAt, sleep, waitForEnd, waitForStatus } from './helpers';

/**
 * Scenario 2: the Temporal dev server (persisting to its file) is stopped and started during
 * a run and between scheduled runs. The run finishes; no scheduled run is lost or doubled.
 */
describe('fault: Temporal server restarted', function () {
  this.timeout(15 * 60_000);
  const config = loadConfig();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-temporal-'));
  let port: number;
  let server: TemporalServer;
  let sys: TestSystem;
  let token: string;

  const start = async () => {
    server = await startDevServer({ cliPath: await findOrInstallCli(cliSettings(config)), port, dbFile: path.join(dir, 'temporal.db') });
  };
  const restart = async (downMs: number) => {
    await server.stop();
    await sleep(downMs);
    await start();
  };

  before(async () => {
    port = await freePort();
    await start();
    const client = await connectClient({ address: server.address, namespace: 'default', payloadCodecKeys: undefined });
    await ensureSearchAttributes(client.connection, 'default');
    await client.connection.close();
    sys = await startSystem({ temporalAddress: server.address });
    token = await sys.token('domain_admin', 'tr');
  });
  after(async () => {
    await sys?.stop();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finishes a run that was in progress when the server stopped', async () => {
    await jobOnGeneratedFile(sys, token, 'tr', 'during', 100_000);
    await runNow(sys, token, 'tr', 'during');
    await waitForStatus(sys, 'tr', 'during', ['validating', 'processing', 'importing']);
    await restart(5_000);
    const run = await waitForEnd(sys, 'tr', 'during');
    assert.equal(run.status, 'completed', run.reason ?? '');
    assert.deepEqual(await rowsOf(sys, 'tr', 'during'), { total: 100_000, distinct: 100_000 });
    assert.equal(await runCount(sys, 'tr', 'during'), 1);
  });

  it('neither loses nor doubles scheduled runs across a restart', async () => {
    // Realtime: a batch import may not run more than four times a day.
    await jobOnGeneratedFile(sys, token, 'tr', 'ticking', 10, {
      mode: 'realtime', scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 4 } },
    });
    await eventually(async () => ((await runCount(sys, 'tr', 'ticking')) >= 2 ? true : undefined), 'two scheduled runs');
    await restart(9_000);
    await eventually(async () => ((await runCount(sys, 'tr', 'ticking')) >= 5 ? true : undefined), 'more scheduled runs after the restart', 120_000);
    const pausedAt = Date.now();
    await sys.call(token, 'POST', '/domains/tr/jobs/ticking/pause', { note: 'end of test' });
    await sleep(6_000);

    // Every tick the schedule started, by when it was meant for.
    const ticks = new Set<number>();
    for await (const wf of sys.client.workflow.list({ query: `WorkflowType = "scheduledRunWorkflow" AND JobId = "ticking" AND Domain = "tr"` })) {
      ticks.add(wf.typedSearchAttributes.get(ScheduledStartTimeKey)!.getTime());
    }
    const { rows } = await sys.db.query<{ number: number; trigger: string; status: string; workflow_id: string }>(
      `select r.number, r.trigger, r.status, r.workflow_id from runs r join jobs j on j.id = r.job_id
        where j.domain = 'tr' and j.identifier = 'ticking' order by r.number`,
    );
    const numbers = rows.map((r) => r.number);
    assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'run numbers are consecutive');
    assert.ok(rows.every((r) => r.trigger === 'schedule'));
    assert.ok(rows.every((r) => r.status === 'completed'), JSON.stringify(rows));
    const runTimes = await Promise.all(rows.map((r) => runScheduledAt(sys, r.workflow_id)));
    assert.equal(new Set(runTimes).size, runTimes.length, 'no scheduled time ran twice');
    assert.ok(runTimes.every((at) => at !== undefined && ticks.has(at)), 'every run answers a tick');
    // A tick that arrives while a run goes and another is queued joins the queued one (a job
    // runs at most once more after its current run): after the restart the caught-up ticks
    // arrive at once, and a run whose activity was cut off waits out its timeout. So any tick
    // before the pause (the job refuses those after it) without a run of its own must have
    // reached the job workflow while a run was going, as its history tells.
    const arrivedDuringRun = await ticksArrivingDuringRuns(sys, jobWorkflowId('tr', 'ticking'));
    const lost = [...ticks].filter((at) => at < pausedAt - 2_000 && !runTimes.includes(at) && !arrivedDuringRun.has(at));
    assert.deepEqual(lost.map((at) => new Date(at).toISOString()), [], 'ticks that found no run going and got none');
    // The schedule itself lost no tick across the restart: it caught up on the ones due while
    // the server was down, so the ticks are every 4 s without a gap.
    const times = [...ticks].sort((a, b) => a - b);
    assert.deepEqual(times.slice(1).map((t, i) => t - times[i]!), times.slice(1).map(() => 4_000), 'a tick is missing');
  });
});

/**
 * The scheduled times of the ticks that reached the job workflow while one of its runs was
 * going or about to start: from its history, between the tick that found the job idle and
 * the workflow task that took in its run's end (a signal up to then is handled with the run
 * still current).
 */
async function ticksArrivingDuringRuns(sys: TestSystem, workflowId: string): Promise<Set<number>> {
  const history = await sys.client.workflow.getHandle(workflowId).fetchHistory();
  const out = new Set<number>();
  let running = false;
  let ending = false;
  // A tick that found the job idle, whose run is not started yet: ticks handled in the same
  // workflow task after it (the caught-up ones arrive together) are queued behind its run.
  let starting = false;
  for (const e of history.events ?? []) {
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      running = true;
      starting = false;
    } else if (e.childWorkflowExecutionCompletedEventAttributes || e.childWorkflowExecutionFailedEventAttributes) ending = true;
    else if (e.workflowTaskStartedEventAttributes && ending) running = ending = false;
    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== 'runNow') continue;
    const payload = signal.input?.payloads?.[0];
    const req = payload ? defaultPayloadConverter.fromPayload<{ scheduledAt?: string }>(payload) : undefined;
    if (running || starting) {
      if (req?.scheduledAt) out.add(Date.parse(req.scheduledAt));
    } else starting = true;
  }
  return out;
}
