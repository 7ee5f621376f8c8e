import assert from 'node:assert/strict';
import { loadSecret, secretsKey } from '../../io/secrets';
import { batchJob, startApiSystem, type ApiSystem } from './helpers';

/** Write-only credentials (issue 6 §6): set, list, delete; the value never comes back out. */
describe('API secrets', () => {
  let api: ApiSystem;
  let admin: string;
  let reader: string;
  let otherAdmin: string;
  let sys: string;
  const domain = 'secrets-api';
  const J = `/domains/${domain}/jobs`;
  const VALUE = 'hunter2-Sup3rS3cret-' + Math.random().toString(36).slice(2);

  before(async () => {
    api = await startApiSystem();
    admin = await api.sys.token('domain_admin', domain);
    reader = await api.sys.token('read_only', domain);
    otherAdmin = await api.sys.token('domain_admin', 'secrets-other');
    sys = await api.sys.token('system_admin');
    const r = await api.call(admin, 'POST', J, batchJob('x1'));
    assert.equal(r.status, 201, r.text);
  });
  after(async () => api?.stop());

  it('sets, lists (kinds and times only), replaces and deletes a secret', async () => {
    const put = await api.call(admin, 'PUT', `${J}/x1/secrets/password`, { value: VALUE });
    assert.equal(put.status, 204, put.text);
    assert.equal(put.text, '');
    assert.equal((await api.call(admin, 'PUT', `${J}/x1/secrets/token`, { value: `${VALUE}-token` })).status, 204);

    const list = await api.call(reader, 'GET', `${J}/x1/secrets`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.items.map((i: { kind: string }) => i.kind), ['password', 'token']);
    for (const i of list.json.items) assert.deepEqual(Object.keys(i).sort(), ['kind', 'updatedAt']);
    assert.ok(!list.text.includes(VALUE));

    // Stored encrypted, readable by the worker.
    const jobId = (await api.sys.db.query('select id from jobs where domain = $1 and identifier = $2', [domain, 'x1'])).rows[0].id;
    assert.equal(await loadSecret(api.sys.db, secretsKey(api.sys.config.SECRETS_KEY), jobId, 'password'), VALUE);
    const raw = (await api.sys.db.query('select ciphertext from job_secrets where job_id = $1', [jobId])).rows;
    for (const r of raw) assert.ok(!Buffer.from(r.ciphertext).toString('latin1').includes(VALUE));

    assert.equal((await api.call(admin, 'PUT', `${J}/x1/secrets/password`, { value: `${VALUE}-2` })).status, 204);
    assert.equal(await loadSecret(api.sys.db, secretsKey(api.sys.config.SECRETS_KEY), jobId, 'password'), `${VALUE}-2`);

    assert.equal((await api.call(admin, 'DELETE', `${J}/x1/secrets/token`)).status, 204);
    assert.equal((await api.call(admin, 'DELETE', `${J}/x1/secrets/token`)).status, 204, 'deleting is idempotent');
    const after = await api.call(admin, 'GET', `${J}/x1/secrets`);
    assert.deepEqual(after.json.items.map((i: { kind: string }) => i.kind), ['password']);
  });

  it('never shows the value in the job, the lists or the audit trail', async () => {
    assert.equal((await api.call(admin, 'PUT', `${J}/x1/secrets/token`, { value: VALUE })).status, 204);
    for (const url of [`${J}/x1`, J, `${J}/x1/secrets`, `/domains/${domain}/audit?limit=500`]) {
      const r = await api.call(admin, 'GET', url);
      assert.equal(r.status, 200, `${url}: ${r.text}`);
      assert.ok(!r.text.includes(VALUE), `${url} shows the secret`);
    }
    const audit = await api.call(sys, 'GET', `/audit?domain=${domain}&action=setSecret`);
    assert.ok(audit.json.total >= 1, audit.text);
    assert.ok(!audit.text.includes(VALUE));
    assert.equal(audit.json.items[0].target, 'jobs/x1/secrets/token');
  });

  it('refuses bad input naming the field', async () => {
    const kind = await api.call(admin, 'PUT', `${J}/x1/secrets/apikey`, { value: 'v' });
    assert.equal(kind.status, 400);
    assert.equal(kind.json.errors[0].field, 'kind');
    const body = await api.call(admin, 'PUT', `${J}/x1/secrets/password`, { value: '', also: 1 });
    assert.equal(body.status, 400);
    const fields = body.json.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(fields, ['also', 'value']);
    assert.ok(!body.text.includes(VALUE));
    const long = await api.call(admin, 'PUT', `${J}/x1/secrets/password`, { value: 'v'.repeat(4097) });
    assert.equal(long.status, 400);
    assert.ok(!long.text.includes('vvvv'), 'the refused value is not echoed');
  });

  it('roles: read_only may list but not write; another domain 404; no token 401', async () => {
    assert.equal((await api.call(reader, 'PUT', `${J}/x1/secrets/password`, { value: 'x' })).status, 403);
    assert.equal((await api.call(reader, 'DELETE', `${J}/x1/secrets/password`)).status, 403);
    assert.equal((await api.call(otherAdmin, 'GET', `${J}/x1/secrets`)).status, 404);
    assert.equal((await api.call(otherAdmin, 'PUT', `${J}/x1/secrets/password`, { value: 'x' })).status, 404);
    assert.equal((await api.call(otherAdmin, 'DELETE', `${J}/x1/secrets/password`)).status, 404);
    assert.equal((await api.call(undefined, 'PUT', `${J}/x1/secrets/password`, { value: 'x' })).status, 401);
    assert.equal((await api.call(admin, 'PUT', `${J}/nope/secrets/password`, { value: 'x' })).status, 404);
    assert.equal((await api.call(sys, 'PUT', `${J}/x1/secrets/password`, { value: VALUE })).status, 204);
  });
});
