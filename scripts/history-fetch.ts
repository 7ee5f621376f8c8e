import { loadConfig } from '../infra/config';
import { connectClient } from '../temporal/connection';
import { saveHistory } from '../test/replay/histories';

/**
 * Saves a workflow's history from a live cluster into test/histories, where the replay
 * test replays it against today's code:
 *   npm run history:fetch -- <workflowId> [--run <runId>] [--name <file name without .json>] [--dir <folder>]
 * Reads the Temporal client settings (TEMPORAL_ADDRESS, default 127.0.0.1:7233, TEMPORAL_NAMESPACE, TLS, API key, profile).
 */
async function main(argv: string[]): Promise<void> {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) flags[a.slice(2)] = argv[++i] ?? '';
    else positional.push(a);
  }
  const workflowId = positional[0];
  if (!workflowId) {
    console.error('usage: npm run history:fetch -- <workflowId> [--run <runId>] [--name <name>] [--dir <folder>]');
    process.exitCode = 2;
    return;
  }
  const { temporal } = loadConfig();
  const client = await connectClient({ ...temporal, address: temporal.address ?? '127.0.0.1:7233' });
  try {
    const file = await saveHistory(client, workflowId, flags.name || workflowId, flags.run || undefined, flags.dir || undefined);
    console.log(`Saved the history of ${workflowId} to ${file}`);
  } finally {
    await client.connection.close();
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
