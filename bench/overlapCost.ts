import os from 'node:os';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../infra/config';
import { mapBounded } from '../infra/mapBounded';
import { freePort } from '../infra/ports';
import { cliSettings } from '../infra/temporalCli';
import { ensureTemporal } from '../infra/temporalServer';
import { connectClient, targetFor } from '../temporal/connection';
import { connectWorker } from '../worker/connection';
import { cpuSecondsOrZero } from './lib/rss';

/**
 * npm run bench:overlap — what a Schedule's overlap policy costs the Temporal server per start,
 * for the proposal in docs/design/schedule-started-runs.md (Schedules that start runs with
 * BUFFER_ONE instead of ticks with ALLOW_ALL). OVERLAP_SCHEDULES Schedules (default 100), each
 * every OVERLAP_EVERY_S seconds (default 10), start a workflow that does nothing, for
 * OVERLAP_MINUTES (default 2) per policy, on one dev server; printed per policy: starts and the
 * server's CPU per start, with the load average. Only the policy differs between the two runs.
 */

const SCHEDULES = Number(process.env.OVERLAP_SCHEDULES ?? 100);
const EVERY_S = Number(process.env.OVERLAP_EVERY_S ?? 10);
const MINUTES = Number(process.env.OVERLAP_MINUTES ?? 2);

Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function measure(client: Client, serverPid: number | undefined, taskQueue: string, overlap: 'ALLOW_ALL' | 'BUFFER_ONE'): Promise<void> {
  const ids = Array.from({ length: SCHEDULES }, (_, i) => `overlap-${overlap}-${i}`);
  await mapBounded(ids, 8, (scheduleId) => client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: `${EVERY_S}s` }] },
    action: { type: 'startWorkflow', workflowType: 'emptyWorkflow', taskQueue, workflowId: scheduleId },
    policies: { overlap: ScheduleOverlapPolicy[overlap] },
  }).then(() => undefined));
  // Let the first starts settle, then measure whole intervals.
  await sleep(2 * EVERY_S * 1000);
  const from = new Date();
  const cpu0 = cpuSecondsOrZero(serverPid);
  const load0 = os.loadavg()[0]!.toFixed(2);
  await sleep(MINUTES * 60_000);
  const cpu = cpuSecondsOrZero(serverPid) - cpu0;
  const to = new Date();
  await mapBounded(ids, 8, (id) => client.schedule.getHandle(id).delete());
  const { count } = await client.workflow.count(`WorkflowId STARTS_WITH 'overlap-${overlap}-' AND StartTime >= '${from.toISOString()}' AND StartTime < '${to.toISOString()}'`);
  const expected = SCHEDULES * Math.floor((MINUTES * 60) / EVERY_S);
  console.log(`${overlap.padEnd(10)} ${String(count).padStart(6)} starts (about ${expected} due)   server CPU ${((cpu * 1000) / Math.max(1, count)).toFixed(1)} ms per start   load ${load0} → ${os.loadavg()[0]!.toFixed(2)}`);
}

async function main() {
  const config = loadConfig({ ...process.env, DATA_DIR: process.env.DATA_DIR ?? 'data/bench' });
  const server = await ensureTemporal({ ...cliSettings(config), port: await freePort(), namespace: config.TEMPORAL_NAMESPACE });
  const target = targetFor(config.temporal, server);
  const client = await connectClient(target);
  const taskQueue = `overlap-${process.pid}`;
  const worker = await Worker.create({
    connection: await connectWorker(target), namespace: config.TEMPORAL_NAMESPACE, taskQueue,
    workflowsPath: require.resolve('./lib/emptyWorkflow'),
  });
  const running = worker.run();
  try {
    console.log(`${SCHEDULES} Schedules every ${EVERY_S} s, ${MINUTES} min per overlap policy, dev server`);
    for (const overlap of ['ALLOW_ALL', 'BUFFER_ONE'] as const) await measure(client, server.pid, taskQueue, overlap);
  } finally {
    worker.shutdown();
    await running;
    await client.connection.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
