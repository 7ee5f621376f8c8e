import { spawn } from 'node:child_process';
import { environmentFor, loadConfig } from '../infra/config';
import { cliSettings, findOrInstallCli, TemporalUnavailableError } from '../infra/temporalCli';

/**
 * `npm run temporal -- <args>`: the Temporal CLI that `npm start` uses (found, downloaded or
 * built), run against the configured server: TEMPORAL_ADDRESS, else the dev server on
 * 127.0.0.1:TEMPORAL_PORT, in TEMPORAL_NAMESPACE. For example
 *   npm run temporal -- workflow list --query 'RunStatus = "halted"'
 */
async function main() {
  const config = loadConfig();
  const cliPath = await findOrInstallCli({ ...cliSettings(config), log: (l) => console.error(l) });
  // The CLI reads its server and namespace from these variables; flags given on the command line win.
  const env = environmentFor({
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
  });
  const child = spawn(cliPath, process.argv.slice(2), { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((e) => {
  console.error(e instanceof TemporalUnavailableError ? e.message : e);
  process.exit(1);
});
