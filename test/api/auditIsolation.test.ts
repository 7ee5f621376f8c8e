import assert from 'node:assert/strict';
import { batchJob, startApiSystem, type ApiSystem } from './helpers';

/**
 * A domain's audit trail holds its own tokens' and system administrators' actions only;
 * another domain's refused attempts on it are in the system-wide trail, not in either domain's.
 */
describe('audit trails per domain', () => {
  let api: ApiSystem;
  let sys: string;
  let adminA: string;
  let adminB: string;
  type Entry = { who: string; role: string; domain: string | null; action: string; target: string; outcome: string; httpStatus: number };
  const trail = async (token: string, url: string) => {
    const r = await api.call(token, 'GET', url);
    assert.equal(r.status, 200, r.text);
    return r.json.items as Entry[];
  };

  before(async () => {
    api = await startApiSystem();
    sys = await api.sys.token('system_admin');
    adminA = await api.sys.token('domain_admin', 'audit-a');
    adminB = await api.sys.token('domain_admin', 'audit-b');
    assert.equal((await api.call(adminA, 'POST', '/domains/audit-a/jobs', batchJob('secret-job'))).status, 201);
    assert.equal((await api.call(adminB, 'POST', '/domains/audit-b/jobs', batchJob('own-job'))).status, 201);
    assert.equal((await api.call(sys, 'PATCH', '/domains/audit-a/jobs/secret-job', { name: 'Renamed by the system administrator' })).status, 200);
    // B's administrator tries A's job every way it can: each is a 404, as if A did not exist.
    for (const [method, url, body] of [
      ['POST', '/domains/audit-a/jobs/secret-job/run', undefined],
      ['PATCH', '/domains/audit-a/jobs/secret-job', { name: 'taken' }],
      ['DELETE', '/domains/audit-a/jobs/secret-job', undefined],
      ['POST', '/domains/audit-a/jobs', batchJob('planted')],
    ] as const) {
      assert.equal((await api.call(adminB, method, url, body)).status, 404, `${method} ${url}`);
    }
  });
  after(async () => api?.stop());

  it("shows A only its own tokens' and system administrators' actions", async () => {
    for (const reader of [adminA, sys]) {
      const entries = await trail(reader, '/domains/audit-a/audit?limit=500');
      assert.ok(entries.length >= 2);
      assert.ok(entries.every((e) => e.domain === 'audit-a'));
      assert.deepEqual([...new Set(entries.map((e) => e.who))].sort(), ['domain_admin@audit-a', 'system_admin@*']);
      assert.ok(!JSON.stringify(entries).includes('audit-b'), "B's token names or domain appear in A's trail");
    }
  });

  it("keeps B's refused attempts out of B's trail too, and puts them in the system-wide trail without a domain", async () => {
    const ofB = await trail(adminB, '/domains/audit-b/audit?limit=500');
    assert.ok(ofB.every((e) => e.domain === 'audit-b' && e.outcome === 'ok'), JSON.stringify(ofB));
    const all = await trail(sys, '/audit?limit=500');
    const attempts = all.filter((e) => e.who === 'domain_admin@audit-b' && e.outcome === 'refused');
    assert.deepEqual(attempts.map((e) => [e.action, e.httpStatus, e.domain]).sort(), [
      ['createJob', 404, null], ['deleteJob', 404, null], ['runJob', 404, null], ['updateJob', 404, null],
    ]);
    for (const e of attempts) assert.match(e.target, /^domains\/audit-a\/jobs.*not the token's domain audit-b/);
    // The system administrator can narrow the system trail to a domain: B's attempts are not A's.
    assert.ok((await trail(sys, '/audit?domain=audit-a&limit=500')).every((e) => e.who !== 'domain_admin@audit-b'));
  });
});
