import { openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { logger } from '../infra/logger';
import { connectClient } from '../temporal/connection';
import { plaintextPayloadsWarning } from '../temporal/dataConverter';
import { startApi } from './server';

/** The API process (docker-compose runs it). Needs DATABASE_URL and TEMPORAL_ADDRESS. */
async function main() {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) throw new Error('The API needs DATABASE_URL and TEMPORAL_ADDRESS (npm start sets both up for you).');
  const warning = plaintextPayloadsWarning(config.PAYLOAD_CODEC_KEYS);
  if (warning) console.warn(`Warning: ${warning}`);
  const orm = await openOrm(config.DATABASE_URL);
  const temporal = await connectClient({ ...config.temporal, address: config.TEMPORAL_ADDRESS });
  const api = await startApi({ orm, temporal, config }, config.API_HOST, config.API_PORT);
  console.log(`API listening on ${api.url}`);
  const stop = async () => {
    await api.close();
    await temporal.connection.close();
    await orm.close();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
