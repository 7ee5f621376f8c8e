import { loadConfig } from '../infra/config';
import { connectClient } from '../temporal/connection';
import { setupTemporal, TemporalSetupError } from '../temporal/setup';

/**
 * `npm run temporal:setup`: prepares the configured Temporal namespace for jobflow (creates it
 * with TEMPORAL_NAMESPACE_RETENTION_DAYS where the server allows, registers the search
 * attributes). Run once per cluster and namespace, with the same TEMPORAL_* settings as the
 * worker; safe to run again. Workers only check.
 */
async function main() {
  const config = loadConfig();
  if (!config.TEMPORAL_ADDRESS) throw new TemporalSetupError('Set TEMPORAL_ADDRESS (or a TEMPORAL_PROFILE with an address): npm start sets its own dev server up by itself.');
  const client = await connectClient({ ...config.temporal, address: config.TEMPORAL_ADDRESS });
  try {
    for (const line of await setupTemporal(client.connection, config.TEMPORAL_NAMESPACE, config.TEMPORAL_NAMESPACE_RETENTION_DAYS)) console.log(line);
  } finally {
    await client.connection.close();
  }
}

main().catch((e) => {
  console.error(e instanceof TemporalSetupError ? e.message : e);
  process.exit(1);
});
