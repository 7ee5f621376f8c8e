import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { observeActivity } from './observability';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build one and share it); else workflows are bundled here. */
  workflowBundle?: WorkflowBundleOption;
}

export const workflowsPath = require.resolve('../workflows');

/** A worker that runs every workflow and activity of the system on one task queue. */
export function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities(opts.deps),
    interceptors: { activity: [(ctx) => ({ inbound: observeActivity(ctx) })] },
    // On shutdown, running activities get this long to finish before they are handed back.
    shutdownGraceTime: '20 seconds',
  });
}
