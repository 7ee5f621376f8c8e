import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { testConfig, testEnv } from '../setup/globalHooks';
import { HISTORIES_DIR, replayDataConverter } from './histories';

/**
 * Replays every recorded history in test/histories against today's workflow code: a
 * change that would break a running workflow fails here (use `patched()` for it). Payloads are
 * decoded with the configured PAYLOAD_CODEC_KEYS (histories fetched from an encrypted cluster)
 * and the committed encrypted histories' fixture key.
 */

/** The histories the suite must have: one run per outcome, one job per mode and trigger. */
const REQUIRED = [
  'run-completed', 'run-completed_with_warnings', 'run-partially_completed', 'run-failed', 'run-halted', 'run-canceled',
  'job-batch-manual', 'job-realtime-schedule', 'job-on-demand-event', 'scheduled-run-completed',
];

const files = fs.existsSync(HISTORIES_DIR) ? fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort() : [];

describe('replay of recorded histories', () => {
  it('has a history for every run outcome and every job mode', () => {
    const names = files.map((f) => path.basename(f, '.json'));
    assert.deepEqual(REQUIRED.filter((n) => !names.includes(n)), []);
  });

  for (const file of files) {
    it(`replays ${file} without nondeterminism`, async () => {
      const history = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
      const converter = replayDataConverter(testConfig().PAYLOAD_CODEC_KEYS);
      await Worker.runReplayHistory({ workflowBundle: testEnv().workflowBundle, dataConverter: converter }, history, path.basename(file, '.json'));
    });
  }
});
