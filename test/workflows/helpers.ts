import crypto from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { Worker } from '@temporalio/worker';
import type { createActivities, RunRef } from '../../activities';
import type { RunEnd } from '../../activities/runRecords';
import { jobWorkflowId } from '../../contracts/workflowIds';
import type { JobSettings, RequestResult, RunRequest } from '../../domain/jobLifecycle';
import { emptyCounters, outcomeOf, type RunCounters } from '../../domain/runStatus';
import { loadConfig } from '../../infra/config';
import { connectClient } from '../../temporal/connection';
import { connectWorker } from '../../worker/connection';
import { dataConverter } from '../../temporal/dataConverter';
import type { jobWorkflow, JobWorkflowInput } from '../../workflows/jobWorkflow';
import { pauseUpdate, reactivateUpdate, REQUEST_REFUSED, runNowUpdate, statusQuery, type JobView } from '../../contracts/messages';
import { testEnv } from '../setup/globalHooks';

/**
 * The workflows' glue with mocked activities: the real workflow bundle on the suite's real
 * Temporal dev server (the time-skipping test server is downloaded at run time, which this
 * machine cannot do), an in-process worker on a task queue of its own, and activities that
 * record their calls and do what each test tells them. No database, no files.
 */

type Activities = ReturnType<typeof createActivities>;
/** The activities the three workflows call. */
export type WorkflowActivities = Pick<Activities,
  'recordRunStart' | 'recordRunEnd' | 'validateImport' | 'processImport' | 'loadImport' | 'extractExport' | 'deliverExport' |
  'syncSchedule' | 'watchSource' | 'notifyRun' | 'recordMissedSchedule' | 'runPhases' | 'takeRunSlot' | 'setScheduledRunsAskJob' |
  'runOnSchedule' | 'recordScheduledRunEnd' | 'findOpenRun'>;
type Name = keyof WorkflowActivities;

export interface Call<N extends Name = Name> {
  name: N;
  input: Parameters<WorkflowActivities[N]>[0];
}

/** What a good import or export run counts. */
export const GOOD_COUNTERS: RunCounters = { ...emptyCounters(), read: 2, inserted: 2 };

const DATA_PHASES: Name[] = ['validateImport', 'processImport', 'loadImport', 'extractExport', 'deliverExport'];
const runKey = (ref: RunRef) => `${ref.domain}/${ref.jobId}/${ref.runNumber}`;

/** Activities that record every call (in order) and run the implementation a test set, else a good default. */
export class MockActivities {
  readonly calls: Call[] = [];
  private impl: Partial<WorkflowActivities> = {};
  /** What each run's last data phase counted: the run record, as far as the workflows can tell. */
  private readonly counted = new Map<string, RunCounters>();
  /** Each job's last run number, as the run slot's records would have it. */
  private readonly numbered = new Map<string, number>();
  /** Whether each job's scheduled runs ask the job first (io/runSlot.ts): until told otherwise, and after a failed run. */
  private readonly askJob = new Map<string, boolean>();
  private nextNumber(domain: string, jobId: string, after = 0): number {
    const key = `${domain}/${jobId}`;
    const number = Math.max(this.numbered.get(key) ?? 0, after) + 1;
    this.numbered.set(key, number);
    return number;
  }

  private readonly defaults: WorkflowActivities = {
    recordRunStart: async () => undefined,
    // As the real one, the counters are read back from what the run's phases recorded.
    recordRunEnd: async (ref): Promise<RunEnd> => {
      if (ref.outcome === 'failed' || ref.outcome === 'halted') this.askJob.set(`${ref.domain}/${ref.jobId}`, true);
      return { outcome: ref.outcome, reason: ref.reason, counters: this.counted.get(runKey(ref)) ?? emptyCounters(), reported: {} };
    },
    validateImport: async () => GOOD_COUNTERS,
    processImport: async () => GOOD_COUNTERS,
    loadImport: async () => GOOD_COUNTERS,
    extractExport: async () => GOOD_COUNTERS,
    deliverExport: async () => GOOD_COUNTERS,
    syncSchedule: async () => ({ nextRunAt: '2030-01-01T06:00:00.000Z' }),
    watchSource: async () => ({ watched: false }),
    notifyRun: async () => ({ sent: true, to: ['ops@example.test'] }),
    recordMissedSchedule: async () => ({ recorded: true }),
    // The slot is always free here: no run its Schedule started competes with the job's.
    takeRunSlot: async (input) => ({ number: this.nextNumber(input.domain, input.jobId, input.after) }),
    setScheduledRunsAskJob: async (input) => {
      this.askJob.set(`${input.domain}/${input.jobId}`, input.askJob);
    },
    // As the real one, with the job's slot always free: runs when the job lets it, else asks the job.
    runOnSchedule: async (input) => {
      if (this.askJob.get(`${input.domain}/${input.jobId}`) ?? true) return { ran: false };
      const number = this.nextNumber(input.domain, input.jobId);
      const startedAt = new Date().toISOString();
      const end = await this.activities().runPhases({ domain: input.domain, jobId: input.jobId, runNumber: number, trigger: 'schedule', attempt: 1, scheduledAt: input.scheduledAt, direction: 'import' });
      return { ran: true, number, startedAt, end, jobWaits: false };
    },
    recordScheduledRunEnd: async () => undefined,
    findOpenRun: async () => undefined,
    // As the real one (activities/runPhases.ts): the record's start, the phases, the record's end,
    // each through the mocks above, so a test holds or fails a phase as before.
    runPhases: async (input) => {
      const ref = { domain: input.domain, jobId: input.jobId, runNumber: input.runNumber };
      const mine = this.activities();
      await mine.recordRunStart(input);
      const phases: Name[] = input.direction === 'import' ? ['validateImport', 'processImport', 'loadImport'] : ['extractExport', 'deliverExport'];
      let counters = emptyCounters();
      for (const phase of phases) counters = await (mine[phase] as (r: RunRef) => Promise<RunCounters>)(ref);
      return mine.recordRunEnd({ ...ref, outcome: outcomeOf(counters) });
    },
  };

  /** Replaces some implementations until reset(). */
  set(impl: Partial<WorkflowActivities>): void {
    Object.assign(this.impl, impl);
  }

  reset(): void {
    this.impl = {};
  }

  /** The calls of one activity for one job, in order. */
  of<N extends Name>(name: N, jobId: string): Call<N>['input'][] {
    return this.calls.filter((c): c is Call<N> => c.name === name && c.input.jobId === jobId).map((c) => c.input);
  }

  /** What the worker registers: each activity records its call, then runs the current implementation. */
  activities(): WorkflowActivities {
    const wrap = <N extends Name>(name: N) =>
      (async (input: Call<N>['input']) => {
        // runPhases is the calls it makes (recorded one by one), not one of its own.
        if (name !== 'runPhases') this.calls.push({ name, input } as Call);
        const fn = (this.impl[name] ?? this.defaults[name]) as (i: typeof input) => Promise<unknown>;
        const out = await fn(input);
        if (DATA_PHASES.includes(name)) this.counted.set(runKey(input as RunRef), out as RunCounters);
        return out;
      }) as unknown as WorkflowActivities[N];
    const names = Object.keys(this.defaults) as Name[];
    return Object.fromEntries(names.map((n) => [n, wrap(n)])) as unknown as WorkflowActivities;
  }
}

/**
 * Holds an activity until the test releases it, so "during a run" is certain. The held
 * activity heartbeats, so a cancel reaches it (as the real data phases' heartbeats do).
 */
export class Hold {
  private opened!: () => void;
  private readonly open = new Promise<void>((r) => (this.opened = r));
  private arrived!: () => void;
  /** Resolves once an activity is waiting here. */
  readonly reached = new Promise<void>((r) => (this.arrived = r));
  /** Set when the waiting activity saw its cancellation. */
  cancelled = false;

  /** Call from inside an activity: waits until release() or the activity's cancellation. */
  async wait(): Promise<void> {
    this.arrived();
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), 200);
    try {
      await Promise.race([this.open, ctx.cancelled]);
    } catch (err) {
      this.cancelled = true;
      throw err;
    } finally {
      clearInterval(beat);
    }
  }

  release(): void {
    this.opened();
  }

  /** A data phase that waits here, then counts `counters`. */
  phase(counters: RunCounters = GOOD_COUNTERS): () => Promise<RunCounters> {
    return async () => {
      await this.wait();
      return counters;
    };
  }
}

export interface WorkflowTestEnv {
  client: Client;
  mocks: MockActivities;
  taskQueue: string;
  /** A domain of this suite's own, so its workflow ids meet no other suite's. */
  domain: string;
  /** Job workflows started by startJob() since the last reset(). */
  jobIds: string[];
  /** After each test: job workflows it left running are terminated, the mocks' implementations reset. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A client and an in-process worker with mocked activities on a task queue of the suite's own. */
export async function startWorkflowTestEnv(): Promise<WorkflowTestEnv> {
  const env = testEnv();
  const taskQueue = `wftest-${crypto.randomUUID()}`;
  const mocks = new MockActivities();
  const connection = await connectWorker(env.target);
  const worker = await Worker.create({
    connection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: env.workflowBundle,
    activities: mocks.activities(),
    dataConverter: dataConverter(undefined),
    // A cancel reaches an activity with a heartbeat's answer: sent often, a held activity hears it at once.
    defaultHeartbeatThrottleInterval: '200ms',
    maxHeartbeatThrottleInterval: '200ms',
    shutdownGraceTime: '1 second',
  });
  const running = worker.run();
  const client = await connectClient(env.target);
  const domain = `wf${crypto.randomBytes(3).toString('hex')}`;
  const jobIds: string[] = [];
  return {
    jobIds,
    client,
    mocks,
    taskQueue,
    domain,
    async reset() {
      mocks.reset();
      // The latest run of each (a job may have continued-as-new); one already closed refuses, which is fine.
      for (const id of jobIds.splice(0)) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    },
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
    },
  };
}

/** The settings' defaults, as a service started with none set reads them. */
const DEFAULTS = loadConfig({});

/** A ready batch job without a schedule, with the default retry settings (RUN_RETRY_LIMIT 5, RUN_RETRY_INTERVAL 15m). */
export const batchSettings = (over: Partial<JobSettings> = {}): JobSettings => ({
  mode: 'batch', setupStatus: 'ready', hasSchedule: false, active: true,
  retryLimit: DEFAULTS.RUN_RETRY_LIMIT, retryIntervalMs: DEFAULTS.RUN_RETRY_INTERVAL, sendReport: false, ...over,
});

/** Starts a job workflow on the suite's task queue, as the API does. */
export async function startJob(
  t: WorkflowTestEnv, jobId: string, opts: { settings?: Partial<JobSettings>; direction?: 'import' | 'export'; historyLimit?: number } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof jobWorkflow>> {
  const input: JobWorkflowInput = {
    domain: t.domain, jobId, name: `Job ${jobId}`, direction: opts.direction ?? 'import', taskType: 'sectionsCsv',
    settings: batchSettings(opts.settings), historyLimit: opts.historyLimit,
  };
  const workflowId = jobWorkflowId(t.domain, jobId);
  t.jobIds.push(workflowId);
  return t.client.workflow.start<typeof jobWorkflow>('jobWorkflow', { workflowId, taskQueue: t.taskQueue, args: [input] });
}

export type JobAction =
  | { action: 'runNow'; request: RunRequest }
  | { action: 'pause'; by: string; note?: string }
  | { action: 'reactivate'; by: string };

/**
 * Run-now, pause and reactivate, the one way the tests send them: as the API does, Workflow
 * Updates answered by the workflow itself (a refusal comes back as the update's failure).
 */
export async function act(job: WorkflowHandle, a: JobAction): Promise<RequestResult | { result: string } | undefined> {
  const expiresAt = new Date(Date.now() + 10_000).toISOString();
  try {
    switch (a.action) {
      case 'runNow':
        return await job.executeUpdate(runNowUpdate, {
          args: [{ trigger: a.request.trigger as 'manual' | 'event', requestedBy: a.request.requestedBy ?? 'test', expiresAt }],
        });
      case 'pause':
        return await job.executeUpdate(pauseUpdate, { args: [{ by: a.by, note: a.note, expiresAt }] });
      case 'reactivate':
        return await job.executeUpdate(reactivateUpdate, { args: [{ by: a.by, expiresAt }] });
    }
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError && e.cause instanceof ApplicationFailure && e.cause.type === REQUEST_REFUSED) {
      return { result: 'refused', reason: e.cause.message };
    }
    throw e;
  }
}

/** A person's run-now. */
export const runNow = (job: WorkflowHandle) => act(job, { action: 'runNow', request: { trigger: 'manual', requestedBy: 'ada' } });

/** Polls the job's status query until `ok` holds, and returns that view. */
export async function waitForJob(job: WorkflowHandle, ok: (v: JobView) => boolean, what: string, timeoutMs = 20_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  let last: JobView | undefined;
  for (;;) {
    last = await job.query(statusQuery);
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; the job was ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Timers the workflow started, in milliseconds, in history order. */
export async function timersStarted(handle: WorkflowHandle): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((e) => (e.timerStartedEventAttributes ? [tsToMs(e.timerStartedEventAttributes.startToFireTimeout)] : []));
}

/** Waits for `promise`, failing with `what` after timeoutMs (rather than the test's own timeout). */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), timeoutMs)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
