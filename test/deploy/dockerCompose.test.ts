import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../infra/config';
import { SERVER_DYNAMIC_CONFIG } from '../../infra/temporalServer';

/**
 * No Docker engine runs here, so this checks what can be checked of docker-compose.yml:
 * the services, pinned images, ports, health checks and that every variable given to the
 * worker and API is one the code reads.
 */
describe('docker-compose.yml', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document
  const compose: any = parse(fs.readFileSync('docker-compose.yml', 'utf8'), { merge: true });
  const services = compose.services;

  it('has PostgreSQL, Temporal persisting in it, Temporal Web, migrations, the worker and the API', () => {
    assert.deepEqual(Object.keys(services).sort(), ['api', 'migrate', 'postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
    assert.equal(services.temporal.environment.DB, 'postgres12');
    assert.equal(services.temporal.environment.POSTGRES_SEEDS, 'postgres');
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries<{ image?: string; build?: string }>(services)) {
      if (s.build) continue;
      assert.match(s.image ?? '', /^[\w./-]+:\d[\w.-]*$/, `${name} image ${s.image} is not pinned to a version`);
    }
  });

  it('publishes the API, Temporal and Temporal Web ports', () => {
    assert.deepEqual(services.api.ports, ['3000:3000']);
    assert.deepEqual(services.temporal.ports, ['7233:7233']);
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
    // The worker reaches Temporal once setup (which waits for Temporal's health) has finished.
    assert.equal(services['temporal-setup'].depends_on.temporal.condition, 'service_healthy');
    assert.equal(services.worker.depends_on['temporal-setup'].condition, 'service_completed_successfully');
    assert.equal(services.worker.depends_on.migrate.condition, 'service_completed_successfully');
  });

  it('runs commands that exist in this repository', () => {
    for (const name of ['worker', 'api', 'migrate', 'temporal-setup']) {
      const file = services[name].command.at(-1);
      assert.ok(fs.existsSync(file), `${name} runs ${file}, which does not exist`);
    }
  });

  it('gives the Temporal server the dynamic config the dev server gets', () => {
    const env = services.temporal.environment;
    const mount = services.temporal.volumes.map((v: string) => v.split(':')).find(([, inside]: string[]) => inside === `/etc/temporal/${env.DYNAMIC_CONFIG_FILE_PATH}`);
    assert.ok(mount, `nothing is mounted where DYNAMIC_CONFIG_FILE_PATH (${env.DYNAMIC_CONFIG_FILE_PATH}) points`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document
    const file: Record<string, { value: unknown }[]> = parse(fs.readFileSync(mount[0], 'utf8')) as any;
    const values = Object.fromEntries(Object.entries(file).map(([key, [first]]) => [key, first?.value]));
    assert.deepEqual(values, SERVER_DYNAMIC_CONFIG);
  });
});
