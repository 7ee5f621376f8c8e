import { loadConfig } from '../infra/config';
import { logger } from '../infra/logger';
import { installRuntime } from './observability';
import { plaintextPayloadsWarning } from '../temporal/dataConverter';
import { TemporalSetupError } from '../temporal/setup';
import { runWorker } from './runtime';

/** The worker process (docker-compose runs any number of these). Needs DATABASE_URL and TEMPORAL_ADDRESS. */
async function main() {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) throw new Error('The worker needs DATABASE_URL and TEMPORAL_ADDRESS (npm start sets both up for you).');
  const warning = plaintextPayloadsWarning(config.PAYLOAD_CODEC_KEYS);
  if (warning) console.warn(`Warning: ${warning}`);
  installRuntime({ temporalMetricsPort: config.TEMPORAL_METRICS_PORT, metricsHost: config.WORKER_METRICS_HOST });
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  await runWorker(config, config.DATABASE_URL, { ...config.temporal, address: config.TEMPORAL_ADDRESS }, stop.signal);
}

main().catch((e) => {
  console.error(e instanceof TemporalSetupError ? e.message : e);
  process.exit(1);
});
