import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { migrate, openOrm } from '../../db/orm';
import { ScheduledStartTimeKey } from '../../contracts/searchAttributes';
import { createDatabaseIfMissing, withDatabase } from '../../infra/postgres';
import { freePort } from '../../infra/ports';
import { testConfig } from '../setup/globalHooks';
import { eventually, type TestSystem } from '../setup/system';
import { createJob, runNow } from '../setup/jobs';
import { writeSectionsFile } from '../setup/sectionsFile';
import { decodedPayload } from '../setup/historyPayloads';

/** Shared steps of the fault scenarios: a job on a generated file, its run's record, the rows it left. */

export async function jobOnGeneratedFile(
  sys: TestSystem, token: string, domain: string, id: string, rows: number, extra: Record<string, unknown> = {},
): Promise<void> {
  const file = path.join(sys.areaOf(domain), `${id}.csv`);
  await writeSectionsFile(file, rows, `${id}-`);
  await createJob(sys, token, domain, { id, mode: 'batch', sourceUrl: `file://${file}`, ...extra });
}

export { runNow };

/** The run's row in the run-history table (straight from PostgreSQL: the API may be down). */
export async function runRecord(sys: TestSystem, domain: string, id: string, n = 1) {
  const { rows } = await sys.db.query(
    `select r.* from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = $2 and r.number = $3`,
    [domain, id, n],
  );
  return rows[0] as { status: string; read: number; inserted: number; rejected: number; ended_at: Date | null; reason: string | null } | undefined;
}

export const waitForStatus = (sys: TestSystem, domain: string, id: string, statuses: string[], timeoutMs = 120_000) =>
  eventually(async () => {
    const r = await runRecord(sys, domain, id).catch(() => undefined);
    return r && statuses.includes(r.status) ? r : undefined;
  }, `run of ${id} in ${statuses.join('/')}`, timeoutMs);

export const waitForEnd = (sys: TestSystem, domain: string, id: string, timeoutMs = 600_000) =>
  eventually(async () => {
    const r = await runRecord(sys, domain, id).catch(() => undefined);
    return r?.ended_at ? r : undefined;
  }, `run of ${id} to end`, timeoutMs);

export async function rowsOf(sys: TestSystem, domain: string, prefix: string): Promise<{ total: number; distinct: number }> {
  const { rows } = await sys.db.query(
    `select count(*)::int as total, count(distinct section_id)::int as distinct from sections where domain = $1 and section_id like $2`,
    [domain, `${prefix}-%`],
  );
  return rows[0];
}

export async function runCount(sys: TestSystem, domain: string, id: string): Promise<number> {
  const { rows } = await sys.db.query(`select count(*)::int as n from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = $2`, [domain, id]);
  return rows[0].n;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a schedule ticking every `everyMs` left by `pausedAt` (when the job was paused): run
 * numbers consecutive, every run completed and answering a tick of its own, no tick's time run
 * twice, no tick lost, and the schedule's own ticks without a gap (it catches up on ticks due
 * while the server was down).
 */
export async function checkScheduledRuns(sys: TestSystem, domain: string, id: string, pausedAt: number, everyMs: number): Promise<void> {
  // Every time the schedule started a workflow for (a run, or before RUN_SLOT_PATCH a tick), by when it was meant for.
  const ticks = new Set<number>();
  const types = '("scheduledJobRunWorkflow", "scheduledRunWorkflow")';
  for await (const wf of sys.client.workflow.list({ query: `WorkflowType IN ${types} AND JobId = "${id}" AND Domain = "${domain}"` })) {
    ticks.add(wf.typedSearchAttributes.get(ScheduledStartTimeKey)!.getTime());
  }
  const { rows } = await sys.db.query<{ number: number; trigger: string; status: string; scheduled_at: Date | null }>(
    `select r.number, r.trigger, r.status, r.scheduled_at from runs r join jobs j on j.id = r.job_id
      where j.domain = $1 and j.identifier = $2 order by r.number`,
    [domain, id],
  );
  const numbers = rows.map((r) => r.number);
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'run numbers are consecutive');
  assert.ok(rows.every((r) => r.trigger === 'schedule'));
  assert.ok(rows.every((r) => r.status === 'completed'), JSON.stringify(rows));
  const runTimes = rows.map((r) => r.scheduled_at?.getTime());
  assert.equal(new Set(runTimes).size, runTimes.length, 'no scheduled time ran twice');
  assert.ok(runTimes.every((at) => at !== undefined && ticks.has(at)), 'every run answers a tick');
  // A tick that arrives while a run goes and another is queued joins the queued one (a job
  // runs at most once more after its current run): after a restart the caught-up ticks
  // arrive at once, and a run whose activity was cut off waits out its timeout. So any tick
  // before the pause (the job refuses those after it) without a run of its own must have
  // reached the job workflow while a run was going, as its history tells.
  const arrivedDuringRun = await ticksArrivingDuringRuns(sys, jobWorkflowId(domain, id));
  // Since RUN_SLOT_PATCH a time that found a run its Schedule started going reached the job
  // without a child of its own to be seen beside: the ledger records it merged.
  const { rows: merged } = await sys.db.query<{ scheduled_at: Date }>(
    `select m.scheduled_at from missed_schedules m join jobs j on j.id = m.job_id where j.domain = $1 and j.identifier = $2 and m.reason = 'merged'`, [domain, id]);
  for (const m of merged) arrivedDuringRun.add(m.scheduled_at.getTime());
  const lost = [...ticks].filter((at) => at < pausedAt - 2_000 && !runTimes.includes(at) && !arrivedDuringRun.has(at));
  assert.deepEqual(lost.map((at) => new Date(at).toISOString()), [], 'ticks that found no run going and got none');
  const times = [...ticks].sort((a, b) => a - b);
  assert.deepEqual(times.slice(1).map((t, i) => t - times[i]!), times.slice(1).map(() => everyMs), 'a tick is missing');
}

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
    const req = await decodedPayload<{ scheduledAt?: string }>(sys.client, signal.input?.payloads?.[0]);
    if (running || starting) {
      if (req?.scheduledAt) out.add(Date.parse(req.scheduledAt));
    } else starting = true;
  }
  return out;
}

/**
 * A PostgreSQL cluster of our own (the Debian binaries, initdb into a temp dir) on a free
 * port, for scenarios that stop the server: the machine's server on 5432 is shared. As root
 * the binaries run as the `postgres` user, which must own the data dir (PostgreSQL refuses
 * root).
 */
export interface ThrowawayPostgres {
  /** postgres://...@127.0.0.1:<port>/jobflow, migrated. */
  url: string;
  port: number;
  stop(): void;
  start(): void;
  /** Stops the server and removes its files. */
  destroy(): void;
}

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const isRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-pgstop-'));
  const data = path.join(dir, 'data');
  const asPostgres = (cmd: string, args: string[]) => {
    const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, cmd), ...args]] : [path.join(PG_BIN, cmd), args];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  if (isRoot) fs.chownSync(dir, userId('postgres'), groupId('postgres'));
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const start = () => asPostgres('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']);
  const stop = () => asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await createDatabaseIfMissing(adminUrl, 'jobflow');
  const url = withDatabase(adminUrl, 'jobflow');
  const orm = await openOrm(url);
  await migrate(orm, testConfig());
  await orm.close();
  return {
    url, port, stop, start,
    destroy() {
      try {
        stop();
      } catch {
        // already stopped
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function userId(name: string): number {
  return Number(execFileSync('id', ['-u', name]).toString().trim());
}
function groupId(name: string): number {
  return Number(execFileSync('id', ['-g', name]).toString().trim());
}
