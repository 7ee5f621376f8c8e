import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/** The folder of recorded workflow histories that the replay test replays. */
export const HISTORIES_DIR = path.resolve(__dirname, '../histories');

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
