import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from '@temporalio/worker';
import { testEnv } from '../setup/globalHooks';
import { startSystem, type TestSystem } from '../setup/system';
import { GOOD, fileUrl, jobsApi, writeFile } from '../lifecycle/helpers';

/** `npm run history:fetch -- <workflowId>` saves a live workflow's history that then replays. */
describe('history:fetch', () => {
  let sys: TestSystem;
  let dir: string;
  before(async () => {
    sys = await startSystem();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-histories-'));
  });
  after(async () => {
    await sys?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('downloads the history of a run from the cluster into a folder, and it replays', async () => {
    const jobs = jobsApi(sys, await sys.token('domain_admin', 'fetch'), 'fetch');
    await jobs.create({ id: 'fetched', mode: 'batch', sourceUrl: fileUrl(writeFile(sys.areaOf('fetch'), 'f.csv', GOOD)) });
    await jobs.post('fetched', 'run');
    await jobs.waitForRuns('fetched', 1);
    const { stdout } = await promisify(execFile)(
      process.execPath, [require.resolve('tsx/cli'), 'scripts/history-fetch.ts', 'run-fetch-fetched-1', '--name', 'fetched-run', '--dir', dir],
      { env: { ...process.env, TEMPORAL_ADDRESS: testEnv().temporalAddress }, cwd: path.resolve(__dirname, '../..') },
    );
    assert.match(stdout, /Saved the history of run-fetch-fetched-1/);
    const history = JSON.parse(fs.readFileSync(path.join(dir, 'fetched-run.json'), 'utf8'));
    assert.equal(history.events[0].eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    assert.equal(history.events[0].workflowExecutionStartedEventAttributes.workflowType.name, 'runWorkflow');
    await Worker.runReplayHistory({ workflowBundle: testEnv().workflowBundle }, history, 'run-fetch-fetched-1');
  });
});
