import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { connectClient } from '../../temporal/connection';
import { checkTemporalSetup } from '../../temporal/setup';
import { ALL_SEARCH_ATTRIBUTES } from '../../contracts/searchAttributes';
import { testEnv } from '../setup/globalHooks';

const ROOT = path.resolve(__dirname, '../..');

/** Runs a script of ours in its own process (node with the tsx loader) and gives back its exit code and output. */
function runScript(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: testEnv().temporalAddress, DATABASE_URL: testEnv().databaseUrl, LOG_LEVEL: 'warn', WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Setup is apart from running: `npm run temporal:setup` creates the namespace (retention from
 * TEMPORAL_NAMESPACE_RETENTION_DAYS) and registers the search attributes; a worker only checks,
 * and stops saying what to run when something is missing.
 */
describe('Temporal setup (npm run temporal:setup) and the worker\'s check', () => {
  let client: Client;
  const ns = () => `jf-setup-${crypto.randomUUID().slice(0, 8)}`;
  before(async () => {
    client = await connectClient(testEnv().target);
  });
  after(async () => client?.connection.close());

  it('a worker stops with what to run when the namespace does not exist', async () => {
    const name = ns();
    const worker = await runScript('worker/main.ts', { TEMPORAL_NAMESPACE: name });
    assert.equal(worker.code, 1, worker.stderr);
    assert.match(worker.stderr, new RegExp(`Temporal namespace "${name}" does not exist\\. Run npm run temporal:setup`));
  });

  it('a worker stops when the namespace lacks our search attributes; setup registers them and the check passes', async () => {
    const name = ns();
    // A namespace made by someone else, without our search attributes.
    await client.workflowService.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: msToTs(86_400_000) });
    const worker = await runScript('worker/main.ts', { TEMPORAL_NAMESPACE: name });
    assert.equal(worker.code, 1, worker.stderr);
    const names = ALL_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ');
    assert.match(worker.stderr, new RegExp(`Temporal namespace "${name}" lacks the search attributes ${names}\\. Run npm run temporal:setup`));
    assert.doesNotMatch(worker.stderr, /^\s+at /m, 'a message, not a stack trace');

    const setup = await runScript('scripts/temporal-setup.ts', { TEMPORAL_NAMESPACE: name });
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stdout, /exists \(its retention is left as it is\)/);
    assert.match(setup.stdout, new RegExp(`Search attributes registered: ${names}\\.`));
    await checkTemporalSetup(client.connection, name);
    // Again: nothing to do.
    const again = await runScript('scripts/temporal-setup.ts', { TEMPORAL_NAMESPACE: name });
    assert.match(again.stdout, /Search attributes: all present\./);
  });

  it('creates a missing namespace with the configured retention (default 30 days)', async () => {
    for (const [days, env] of [[7, { TEMPORAL_NAMESPACE_RETENTION_DAYS: '7' }], [30, {}]] as const) {
      const name = ns();
      const setup = await runScript('scripts/temporal-setup.ts', { TEMPORAL_NAMESPACE: name, ...env });
      assert.equal(setup.code, 0, setup.stderr);
      assert.match(setup.stdout, new RegExp(`Namespace ${name}: created, retention ${days} days\\.`));
      const described = await client.workflowService.describeNamespace({ namespace: name });
      assert.equal(Number(described.config?.workflowExecutionRetentionTtl?.seconds), days * 86_400);
      await checkTemporalSetup(client.connection, name);
    }
  });

  it('refuses a bad retention setting clearly', async () => {
    const setup = await runScript('scripts/temporal-setup.ts', { TEMPORAL_NAMESPACE: ns(), TEMPORAL_NAMESPACE_RETENTION_DAYS: '0' });
    assert.equal(setup.code, 1);
    assert.match(setup.stderr, /TEMPORAL_NAMESPACE_RETENTION_DAYS/);
  });
});
