import { spawn } from 'node:child_process';
import { WORKER_ENV, WORKER_NODE_ARGS } from '../../worker/nodeOptions';

/**
 * The Temporal worker as deployed: `npm run worker` in a process of its own, started with the node
 * arguments and environment every worker gets (worker/nodeOptions.ts), so the benchmarks measure
 * the deployed worker, with `env` over this process's environment. Its output is kept and shown
 * only if it ends on its own.
 */
export function workerProcess(env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [...WORKER_NODE_ARGS, 'worker/main.ts'], {
    env: { ...WORKER_ENV, ...process.env, WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) console.error(`The worker process ended (${code ?? signal}):\n${output.join('')}`);
      resolve();
    }),
  );
  return {
    pid: child.pid,
    async stop() {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
