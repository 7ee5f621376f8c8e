import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { allowedHostsOf, saveExportJob } from '../setup/jobs';
import { startSystem, type TestSystem } from '../setup/system';

/**
 * Hostile input is refused with a clear error and no side effect: destinations on this
 * machine or the private network, paths out of the allowed roots, SQL in every filter.
 */
describe('hostile input', () => {
  let sys: TestSystem;
  let admin: string;
  const J = '/domains/hostile-api/jobs';
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', 'hostile-api');
  });
  after(async () => {
    await sys?.stop();
  });
  const allowedHosts = allowedHostsOf(() => sys);
  const exportJob = (id: string, destinationUrl: string) => saveExportJob(sys, admin, 'hostile-api', id, destinationUrl);

  it('refuses https destinations on loopback, link-local and private addresses, saving nothing', async () => {
    allowedHosts.set([]);
    const targets = ['https://127.0.0.1:8443/in', 'https://localhost/in', 'https://[::1]/in', 'https://169.254.169.254/latest/meta-data', 'https://10.0.0.8/in', 'https://192.168.0.10/in'];
    for (const [i, url] of targets.entries()) {
      const r = await exportJob(`ssrf-${i}`, url);
      assert.equal(r.status, 422, `${url}: ${r.text}`);
      assert.match(r.json.detail, /private network.*EXPORT_ALLOWED_HOSTS/);
      assert.equal((await sys.call(admin, 'GET', `${J}/ssrf-${i}`)).status, 404, `${url} was saved`);
    }
    allowedHosts.set(['10.0.0.8']);
    assert.equal((await exportJob('allowed', 'https://10.0.0.8/in')).status, 201, 'an allow-listed host is accepted');
  });

  it('refuses a realtime export of a table whose changes are not recorded', async () => {
    allowedHosts.set(['partner.example.edu']);
    const r = await sys.call(admin, 'POST', J, {
      id: 'users-live', name: 'x', taskType: 'usersCsv', direction: 'export', mode: 'realtime', destinationUrl: 'https://partner.example.edu/in',
      scheduling: { type: 'scheduled', timing: { kind: 'interval', everyMinutes: 15 } },
    });
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.detail, /usersCsv records no changes.*batch export/);
  });

  it("refuses sources outside the domain's file area: absolute, .., symlinks, the bare root and another domain's area", async () => {
    const domain = 'hostile-api';
    const area = sys.areaOf(domain);
    fs.symlinkSync('/etc', path.join(area, 'etc-link'));
    fs.symlinkSync(sys.areaOf('someone-else'), path.join(area, 'neighbour-link'));
    const sources = ['file:///etc/passwd', `file://${area}/../../../etc/passwd`, `file://${area}/etc-link/passwd`, `file://${sys.filesDir}/x.csv`,
      `file://${sys.areaOf('someone-else')}/x.csv`, `file://${area}/neighbour-link/x.csv`, `file://${area}/../someone-else/x.csv`];
    for (const [i, source] of sources.entries()) {
      const r = await sys.call(admin, 'POST', J, { id: `path-${i}`, name: 'x', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: source });
      assert.equal(r.status, 422, `${source}: ${r.text}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.match(r.json.detail, new RegExp(`^sourceUrl: file sources of domain ${domain} must be under ${area}/ `));
    }
  });

  it('treats SQL in every filter as data', async () => {
    const before = await sys.db.query('select count(*)::int as n from jobs');
    const attacks = ["' OR 1=1 --", "x'; drop table jobs; --", '%', '_', '\\'];
    for (const a of attacks) {
      const q = encodeURIComponent(a);
      const byText = await sys.call(admin, 'GET', `${J}?q=${q}`);
      assert.equal(byText.status, 200, byText.text);
      assert.equal(byText.json.total, 0, `q=${a} matched jobs`);
      for (const filter of ['status', 'mode', 'taskType', 'sort']) {
        const r = await sys.call(admin, 'GET', `${J}?${filter}=${q}`);
        assert.ok(r.status === 400 || (r.status === 200 && r.json.total === 0), `${filter}=${a}: ${r.status} ${r.text}`);
      }
      const runs = await sys.call(admin, 'GET', `${J}/allowed/runs?outcome=${q}`);
      assert.equal(runs.status, 400, runs.text);
    }
    const after = await sys.db.query('select count(*)::int as n from jobs');
    assert.equal(after.rows[0].n, before.rows[0].n, 'no table was touched');
  });
});
