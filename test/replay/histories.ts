import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { dataConverter } from '../../temporal/dataConverter';

/** The folder of recorded workflow histories that the replay test replays. */
export const HISTORIES_DIR = path.resolve(__dirname, '../histories');

/**
 * The key the committed encrypted histories (`encrypted-*.json`) were recorded with: a test
 * fixture, published here, that protects nothing. Its id names what it is.
 */
export const FIXTURE_CODEC_KEYS = 'replay-fixture:++9gB9SOPWO6tPOMTpPBoBmL9He0XrvhXMS+7GNm6K0=';

/**
 * The data converter histories are replayed with: the configured PAYLOAD_CODEC_KEYS (a history
 * that `npm run history:fetch` saved from a cluster with encryption on is ciphertext, and
 * decodes with the keys its workers had) and the fixture key. Plaintext histories pass through.
 */
export function replayDataConverter(configuredKeys: string | undefined): DataConverter {
  return dataConverter([configuredKeys, FIXTURE_CODEC_KEYS].filter(Boolean).join(','));
}

/** Saves a workflow's history as `<name>.json` (historyToJSON keeps event ids right). */
export async function saveHistory(client: Client, workflowId: string, name: string, runId?: string, dir = HISTORIES_DIR): Promise<string> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const file = path.join(dir, `${name}.json`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, historyToJSON(history) + '\n');
  return file;
}

/** Lifecycle tests record the histories they produce when RECORD_HISTORIES=1. */
export const recording = () => process.env.RECORD_HISTORIES === '1';

export async function recordHistory(client: Client, workflowId: string, name: string, runId?: string): Promise<void> {
  if (recording()) await saveHistory(client, workflowId, name, runId);
}
