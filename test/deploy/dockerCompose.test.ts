import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../infra/config';
import path from 'node:path';
import { DYNAMIC_CONFIG_FILE } from '../../infra/temporalCluster';
import { SERVER_DYNAMIC_CONFIG } from '../../infra/temporalServer';
import { SCHEMA_DIRS, SERVER_VERSION, SQL_PLUGIN } from '../../infra/temporalServerBuild';
import { WORKER_ENV, WORKER_NODE_ARGS } from '../../worker/nodeOptions';

/**
 * No Docker engine runs here, so this checks what can be checked of docker-compose.yml:
 * the services, pinned images, ports, health checks and that every variable given to the
 * worker and API is one the code reads.
 */
describe('docker-compose.yml', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document
  const compose: any = parse(fs.readFileSync('docker-compose.yml', 'utf8'), { merge: true });
  const services = compose.services;

  it('has PostgreSQL, Temporal persisting in it (schema and namespace set up), Temporal Web, migrations, the worker and the API', () => {
    assert.deepEqual(Object.keys(services).sort(), [
      'api', 'migrate', 'postgres', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker',
    ]);
    assert.equal(services.temporal.environment.DB, SQL_PLUGIN);
    assert.equal(services.temporal.environment.POSTGRES_SEEDS, 'postgres');
  });

  it('runs the Temporal server version npm run temporal:cluster builds and tests, on supported images', () => {
    const version = SERVER_VERSION.replace(/^v/, '');
    assert.equal(services.temporal.image, `temporalio/server:${version}`);
    assert.equal(services['temporal-schema'].image, `temporalio/admin-tools:${version}`);
    assert.equal(services['temporal-namespace'].image, `temporalio/admin-tools:${version}`);
    assert.ok(!Object.values<{ image?: string }>(services).some((s) => s.image?.startsWith('temporalio/auto-setup')), 'auto-setup is deprecated');
  });

  it('sets up the schema the cluster test sets up: same plugin, same versioned folders, into the databases the server reads', () => {
    const script: string = services['temporal-schema'].command.join('\n');
    const env = services.temporal.environment;
    const steps = script.split('\n').filter((l) => l.includes('update-schema'));
    assert.deepEqual(steps.map((l) => /--db (\S+)/.exec(l)?.[1]), [env.DBNAME, env.VISIBILITY_DBNAME]);
    assert.deepEqual(steps.map((l) => /-d (\S+)/.exec(l)?.[1]), [`/etc/temporal/${SCHEMA_DIRS.persistence}`, `/etc/temporal/${SCHEMA_DIRS.visibility}`]);
    assert.match(script, new RegExp(`--plugin ${SQL_PLUGIN} `));
    // Every database is set up (version tables) before it is upgraded.
    for (const db of [env.DBNAME, env.VISIBILITY_DBNAME]) assert.match(script, new RegExp(`--db ${db} setup-schema -v 0.0`));
    assert.equal(services.temporal.depends_on['temporal-schema'].condition, 'service_completed_successfully');
  });

  it('creates the namespace with a retention, then our setup registers the search attributes', () => {
    const ns = services['temporal-namespace'];
    assert.match(ns.command.join(' '), /temporal operator namespace create .*--retention "\$\$TEMPORAL_NAMESPACE_RETENTION"/);
    assert.equal(ns.environment.TEMPORAL_NAMESPACE_RETENTION, '${TEMPORAL_NAMESPACE_RETENTION:-30d}');
    assert.equal(ns.depends_on.temporal.condition, 'service_healthy');
    assert.equal(services['temporal-setup'].depends_on['temporal-namespace'].condition, 'service_completed_successfully');
  });

  it('refuses to start without SECRETS_KEY and payload keys', () => {
    for (const name of ['worker', 'api', 'migrate', 'temporal-setup']) {
      const env = services[name].environment;
      assert.match(env.SECRETS_KEY, /^\$\{SECRETS_KEY:\?.+\}$/, `${name}: SECRETS_KEY must be required`);
      assert.match(env.PAYLOAD_CODEC_KEYS, /^\$\{PAYLOAD_CODEC_KEYS:\?.+\}$/, `${name}: PAYLOAD_CODEC_KEYS must be required`);
    }
  });

  it('points Temporal Web at the API\'s codec server, sending its session cookie, and the API allows its origin', () => {
    const ui = services['temporal-ui'].environment;
    assert.equal(ui.TEMPORAL_CODEC_ENDPOINT, '${PUBLIC_API_URL:-http://localhost:3000}/codec');
    // The browser sends cookies (credentials: 'include'): the codec session of /codec/signin.
    assert.equal(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS, 'true');
    assert.equal(ui.TEMPORAL_CODEC_PASS_ACCESS_TOKEN, undefined);
    assert.equal(services.api.environment.PUBLIC_API_URL, '${PUBLIC_API_URL:-http://localhost:3000}');
    // The UI is published on 8233: that is the origin the API's CORS answers.
    assert.equal(services.api.environment.TEMPORAL_WEB_URL, '${TEMPORAL_WEB_URL:-http://localhost:8233}');
  });

  it('exposes the server\'s Prometheus endpoint on the compose network', () => {
    assert.equal(services.temporal.environment.PROMETHEUS_ENDPOINT, '0.0.0.0:8000');
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries<{ image?: string; build?: string }>(services)) {
      if (s.build) continue;
      assert.match(s.image ?? '', /^[\w./-]+:\d[\w.-]*$/, `${name} image ${s.image} is not pinned to a version`);
    }
  });

  it('publishes the API and Temporal Web ports, and Temporal\'s unauthenticated frontend on the host\'s loopback only', () => {
    assert.deepEqual(services.api.ports, ['3000:3000']);
    assert.deepEqual(services.temporal.ports, ['127.0.0.1:7233:7233']);
    assert.deepEqual(services['temporal-ui'].ports, ['8233:8080']);
  });

  it('gives the worker and the API only variables the code reads, and the ones they need', () => {
    for (const name of ['worker', 'api', 'migrate', 'temporal-setup']) {
      const env = Object.keys(services[name].environment);
      for (const key of env) assert.ok(CONFIG_KEYS.includes(key), `${name}: ${key} is not read by infra/config.ts`);
      for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS']) assert.ok(env.includes(key), `${name} lacks ${key}`);
    }
    assert.equal(services.api.environment.API_HOST, '0.0.0.0');
    // The worker's metrics listen on 127.0.0.1 unless told: in a container, Prometheus needs them on its network.
    assert.equal(services.worker.environment.WORKER_METRICS_HOST, '0.0.0.0');
    assert.equal(services.worker.ports, undefined, 'the metrics ports are for the compose network, not published');
  });

  it('has health checks and waits for them', () => {
    for (const name of ['postgres', 'temporal', 'api']) assert.ok(services[name].healthcheck?.test, `${name} has no health check`);
    // With the temporal CLI (tctl is out of support).
    assert.deepEqual(services.temporal.healthcheck.test.slice(0, 5), ['CMD', 'temporal', 'operator', 'cluster', 'health']);
    // The worker reaches Temporal once setup (after the namespace, after Temporal's health) has finished.
    assert.equal(services.worker.depends_on['temporal-setup'].condition, 'service_completed_successfully');
    assert.equal(services.worker.depends_on.migrate.condition, 'service_completed_successfully');
  });

  it('runs commands that exist in this repository', () => {
    for (const name of ['worker', 'api', 'migrate', 'temporal-setup']) {
      const file = services[name].command.at(-1);
      assert.ok(fs.existsSync(file), `${name} runs ${file}, which does not exist`);
    }
  });

  it('starts the worker with the node options and environment of worker/nodeOptions.ts, as npm run worker does', () => {
    const command = ['node', ...WORKER_NODE_ARGS, 'worker/main.ts'];
    assert.deepEqual(services.worker.command, command);
    const dockerfile = fs.readFileSync('Dockerfile', 'utf8');
    assert.ok(dockerfile.includes(`CMD ${JSON.stringify(command).replaceAll(',', ', ')}`), 'the Dockerfile\'s CMD');
    const script = JSON.parse(fs.readFileSync('package.json', 'utf8')).scripts.worker as string;
    assert.equal(script, `${Object.entries(WORKER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} ${command.join(' ')}`);
    for (const [k, v] of Object.entries(WORKER_ENV)) assert.ok(dockerfile.includes(`ENV ${k}=${v}`), `the Dockerfile sets ${k}`);
  });

  it('gives the Temporal server the dynamic config the dev server gets', () => {
    const env = services.temporal.environment;
    const mount = services.temporal.volumes.map((v: string) => v.split(':')).find(([, inside]: string[]) => inside === `/etc/temporal/${env.DYNAMIC_CONFIG_FILE_PATH}`);
    assert.ok(mount, `nothing is mounted where DYNAMIC_CONFIG_FILE_PATH (${env.DYNAMIC_CONFIG_FILE_PATH}) points`);
    // The very file npm run temporal:cluster gives its server.
    assert.equal(path.resolve(mount[0]), DYNAMIC_CONFIG_FILE);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document
    const file: Record<string, { value: unknown }[]> = parse(fs.readFileSync(mount[0], 'utf8')) as any;
    const values = Object.fromEntries(Object.entries(file).map(([key, [first]]) => [key, first?.value]));
    assert.deepEqual(values, SERVER_DYNAMIC_CONFIG);
  });
});
