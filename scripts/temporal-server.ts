import path from 'node:path';
import { loadConfig } from '../infra/config';
import { cliSettings, findOrInstallCli, TemporalUnavailableError } from '../infra/temporalCli';
import { startDevServer } from '../infra/temporalServer';

/**
 * `npm run temporal:server`            starts the Temporal dev server in the foreground
 *                                      (persisting to DATA_DIR/temporal.db, Temporal Web on).
 * `npm run temporal:server -- --cli`   only finds, downloads or builds the CLI and prints its
 *                                      path (CI uses it to warm the cache).
 */
async function main() {
  const config = loadConfig();
  const log = (l: string) => console.error(l);
  const cliPath = await findOrInstallCli({ ...cliSettings(config), log });
  if (process.argv.includes('--cli')) {
    console.log(cliPath);
    return;
  }
  const server = await startDevServer({
    cliPath, port: config.TEMPORAL_PORT, uiPort: config.TEMPORAL_UI_PORT,
    dbFile: path.join(config.DATA_DIR, 'temporal.db'), namespace: config.TEMPORAL_NAMESPACE, log,
  });
  log(`Temporal dev server on ${server.address}; Temporal Web: ${server.webUrl}. Ctrl-C stops it.`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e instanceof TemporalUnavailableError ? e.message : e);
  process.exit(1);
});
