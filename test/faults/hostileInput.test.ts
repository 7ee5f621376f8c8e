import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { apiClient } from '../setup/apiClient';
import { allowedHostsOf, saveExportJob } from '../setup/jobs';
import { startSystem, type TestSystem } from '../setup/system';
import { runNow, waitForEnd } from './helpers';

/**
 * The hostile inputs of the list that the API and import suites did not cover yet
 * (the rest are mapped in the README's Reliability section): a 10 MB single line, file
 * destinations out of the allowed roots, IPv6 private destinations, an oversized upload.
 */
describe('hostile input: the rest of the list', function () {
  this.timeout(5 * 60_000);
  let sys: TestSystem;
  let admin: string;
  const D = 'hostile-faults';
  const J = `/domains/${D}/jobs`;
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', D);
  });
  after(async () => {
    await sys?.stop();
  });
  const allowedHosts = allowedHostsOf(() => sys);

  const importOf = async (id: string, content: string) => {
    const file = path.join(sys.areaOf(D), `${id}.csv`);
    fs.writeFileSync(file, content);
    const r = await sys.call(admin, 'POST', J, { id, name: id, taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${file}` });
    assert.equal(r.status, 201, r.text);
    await runNow(sys, admin, D, id);
    return waitForEnd(sys, D, id, 180_000);
  };
  const sectionIds = async (ids: string[]) =>
    (await sys.db.query(`select section_id from sections where domain = $1 and section_id = any($2) order by 1`, [D, ids])).rows.map((r) => r.section_id);

  it('a 10 MB single line among good rows is rejected; the rows around it go in', async () => {
    const run = await importOf('ten-mb-row', `section_id,course_code,title,capacity\nT1,C1,before,1\nT2,C2,${'z'.repeat(10 * 1024 * 1024)},2\nT3,C3,after,3\n`);
    assert.equal(run.status, 'partially_completed', run.reason ?? '');
    assert.equal(run.read, 3);
    assert.equal(run.inserted, 2);
    assert.equal(run.rejected, 1);
    assert.deepEqual(await sectionIds(['T1', 'T2', 'T3']), ['T1', 'T3']);
  });

  it('a file that is one 10 MB line with no line end halts the run and imports nothing', async () => {
    const run = await importOf('ten-mb-file', 'q'.repeat(10 * 1024 * 1024));
    assert.equal(run.status, 'halted', run.reason ?? '');
    assert.ok(run.reason && run.reason.length < 2_000, `the reason is readable, not the line: ${run.reason?.length} characters`);
    assert.equal(run.inserted, 0);
  });

  it("refuses file destinations outside the domain's file area: absolute, .., symlinks and another domain's area, saving nothing", async () => {
    const area = sys.areaOf(D);
    fs.symlinkSync('/tmp', path.join(area, 'tmp-link'));
    const targets = ['file:///tmp/out.csv', `file://${area}/../out.csv`, `file://${area}/tmp-link/out.csv`, `file://${sys.areaOf('elsewhere')}/out.csv`];
    for (const [i, url] of targets.entries()) {
      const r = await saveExportJob(sys, admin, D, `dest-${i}`, url);
      assert.equal(r.status, 422, `${url}: ${r.text}`);
      assert.match(r.json.detail, new RegExp(`^destinationUrl: file destinations of domain ${D} must be under ${area}/ `));
      assert.equal((await sys.call(admin, 'GET', `${J}/dest-${i}`)).status, 404, `${url} was saved`);
    }
  });

  it('refuses https destinations on IPv6 link-local, unique-local and unspecified addresses, and v4 CGNAT and 172.16/12', async () => {
    allowedHosts.set([]);
    const targets = ['https://[fe80::1]/in', 'https://[fd00::8]/in', 'https://[::]/in', 'https://0.0.0.0/in', 'https://100.64.0.1/in', 'https://172.16.0.1/in'];
    for (const [i, url] of targets.entries()) {
      const r = await saveExportJob(sys, admin, D, `v6-${i}`, url);
      assert.equal(r.status, 422, `${url}: ${r.text}`);
      assert.match(r.json.detail, /private network.*EXPORT_ALLOWED_HOSTS/);
    }
  });

  // new URL() writes these in hex ([::ffff:a00:1]); they once slipped past a dotted-quad pattern.
  it('refuses https destinations on v4-mapped private addresses ([::ffff:10.0.0.1], [::ffff:127.0.0.1])', async () => {
    allowedHosts.set([]);
    for (const [i, url] of ['https://[::ffff:10.0.0.1]/in', 'https://[::ffff:127.0.0.1]/in'].entries()) {
      const r = await saveExportJob(sys, admin, D, `mapped-${i}`, url);
      assert.equal(r.status, 422, `${url}: ${r.text}`);
      assert.match(r.json.detail, /private network.*EXPORT_ALLOWED_HOSTS/);
    }
  });

  it('refuses an oversized OPML upload with 413 and changes no schedule', async () => {
    const before = await sys.db.query(`select count(*)::int as n from jobs where domain = $1`, [D]);
    const huge = `<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>${'<outline text="x"/>'.repeat(80_000)}</body></opml>`;
    assert.ok(huge.length > 1024 * 1024);
    const r = await apiClient(sys.api)(admin, 'POST', `/domains/${D}/schedules.opml`, huge, { type: 'text/x-opml' });
    assert.equal(r.status, 413, r.text.slice(0, 300));
    const after = await sys.db.query(`select count(*)::int as n from jobs where domain = $1`, [D]);
    assert.equal(after.rows[0].n, before.rows[0].n);
  });
});
