import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { jobWorkflowId, runWorkflowId } from '../../contracts/workflowIds';
import { ENCRYPTED_ENCODING } from '../../temporal/payloadCodec';
import { testEnv } from '../setup/globalHooks';
import { createJob, runNow } from '../setup/jobs';
import { eventually, startSystem } from '../setup/system';
import { FIXTURE_CODEC_KEYS, HISTORIES_DIR, recordHistory, replayDataConverter } from './histories';

/**
 * Histories recorded with encryption on (as `npm run history:fetch` saves them from a cluster
 * with PAYLOAD_CODEC_KEYS set) are ciphertext: they replay only with the key, which the replay
 * test has (replayDataConverter). Recorded with RECORD_HISTORIES=1 and the fixture key.
 */
const JOB_NAME = 'Encrypted nightly sections';
const FILES = ['encrypted-job-batch-manual', 'encrypted-run-completed'];
const read = (name: string) => fs.readFileSync(path.join(HISTORIES_DIR, `${name}.json`), 'utf8');

describe('replay of encrypted histories', function () {
  this.timeout(120_000);

  it("a job's and its run's histories with encryption on are ciphertext and replay with the key (saved as the committed ones with RECORD_HISTORIES=1)", async () => {
    const sys = await startSystem({ settings: { PAYLOAD_CODEC_KEYS: FIXTURE_CODEC_KEYS } });
    try {
      const admin = await sys.token('domain_admin', 'sealed');
      const file = path.join(sys.areaOf('sealed'), 'sections.csv');
      fs.copyFileSync('samples/sections.csv', file);
      await createJob(sys, admin, 'sealed', { id: 'nightly', name: JOB_NAME, mode: 'batch', sourceUrl: `file://${file}` });
      await runNow(sys, admin, 'sealed', 'nightly');
      await eventually(async () => {
        const { json } = await sys.call(admin, 'GET', '/domains/sealed/jobs/nightly');
        return json.lastRuns?.[0]?.outcome === 'completed' && !json.currentRun ? true : undefined;
      }, 'the run to complete');
      const ids = [jobWorkflowId('sealed', 'nightly'), runWorkflowId('sealed', 'nightly', 1)];
      for (const [i, id] of ids.entries()) {
        const history = await sys.client.workflow.getHandle(id).fetchHistory();
        const text = historyToJSON(history);
        assert.ok(!text.includes(JOB_NAME) && !text.includes('sections.csv'), `${id}: its history holds plaintext`);
        await Worker.runReplayHistory({ workflowBundle: testEnv().workflowBundle, dataConverter: replayDataConverter(undefined) }, history, id);
        await recordHistory(sys.client, id, FILES[i]!);
      }
    } finally {
      await sys.stop();
    }
  });

  it('has them, and their payloads are ciphertext: no job name, no file name', () => {
    for (const name of FILES) {
      const text = read(name);
      assert.ok(!text.includes(JOB_NAME) && !text.includes('sections.csv'), `${name} holds plaintext`);
      const encoding = Buffer.from(ENCRYPTED_ENCODING).toString('base64');
      assert.ok(text.split(encoding).length - 1 >= 3, `${name}: encrypted payloads`);
    }
  });

  for (const name of FILES) {
    it(`replays ${name} with the key, and not without it`, async () => {
      const history = JSON.parse(read(name));
      const workflowBundle = testEnv().workflowBundle;
      await Worker.runReplayHistory({ workflowBundle, dataConverter: replayDataConverter(undefined) }, history, name);
      // Without it the workflow cannot read its input ("Unknown encoding: binary/encrypted").
      await assert.rejects(Worker.runReplayHistory({ workflowBundle }, history, `${name}-without-key`), /Replay failed due workflow task failure/);
    });
  }
});
