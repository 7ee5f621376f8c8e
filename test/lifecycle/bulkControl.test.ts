import assert from 'node:assert/strict';
import { createJob } from '../setup/jobs';
import { eventually, startSystem, type TestSystem } from '../setup/system';

/**
 * Pausing and reactivating many jobs at once, with a note: one result per job, as the bulk
 * run-now gives, and every job of a domain at once for a system administrator.
 */
describe('lifecycle: bulk pause and reactivate', function () {
  this.timeout(120_000);
  let sys: TestSystem;
  let admin: string;
  let system: string;
  const domain = 'bulk';
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', domain);
    system = await sys.token('system_admin');
    const source = `file://${sys.areaOf(domain)}/sections.csv`;
    for (const id of ['one', 'two', 'three']) await createJob(sys, admin, domain, { id, mode: 'batch', sourceUrl: source });
    // A scheduled job: its Temporal Schedule follows the pause.
    await createJob(sys, admin, domain, { id: 'nightly', mode: 'batch', sourceUrl: source, scheduling: { type: 'scheduled', timing: { kind: 'calendar', days: ['MONDAY'], times: ['02:00'] } } });
    const other = await sys.token('domain_admin', 'elsewhere');
    await createJob(sys, other, 'elsewhere', { id: 'theirs', mode: 'batch', sourceUrl: `file://${sys.areaOf('elsewhere')}/sections.csv` });
  });
  after(async () => sys?.stop());

  const job = async (d: string, id: string, token = admin) => (await sys.call(token, 'GET', `/domains/${d}/jobs/${id}`)).json;

  it("pauses the ticked jobs with a note, each with its own result, and leaves other domains' jobs alone", async () => {
    const res = await sys.call(admin, 'POST', `/domains/${domain}/jobs/pause`, { jobs: ['one', 'nightly', 'theirs', 'ghost'], note: 'term break' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results, [
      { job: 'one', result: 'paused' },
      { job: 'nightly', result: 'paused' },
      { job: 'theirs', result: 'not_found' },
      { job: 'ghost', result: 'not_found' },
    ]);
    for (const id of ['one', 'nightly']) {
      const j = await eventually(async () => { const x = await job(domain, id); return x.status === 'paused' ? x : undefined; }, `${id} paused`);
      assert.equal(j.paused.note, 'term break');
    }
    assert.notEqual((await job(domain, 'two')).status, 'paused');
    assert.notEqual((await job('elsewhere', 'theirs', system)).status, 'paused');
    const schedule = await eventually(async () => {
      const d = await sys.client.schedule.getHandle(`schedule-${domain}-nightly`).describe();
      return d.state.paused ? d : undefined;
    }, 'the schedule paused');
    assert.match(schedule.state.note ?? '', /term break/);
    // Again: who paused it and why are kept.
    const again = await sys.call(admin, 'POST', `/domains/${domain}/jobs/pause`, { jobs: ['one'], note: 'another' });
    assert.deepEqual(again.json.results, [{ job: 'one', result: 'already_paused' }]);
    assert.equal((await job(domain, 'one')).paused.note, 'term break');
  });

  it("reactivates the ticked jobs: reactivated, or not_paused for a job that was not, and leaves other domains' jobs alone", async () => {
    // Another domain's job, paused by its own administrator: a reactivate from here must not reach it.
    const other = await sys.token('domain_admin', 'elsewhere');
    assert.deepEqual((await sys.call(other, 'POST', '/domains/elsewhere/jobs/pause', { jobs: ['theirs'], note: 'theirs to lift' })).json.results,
      [{ job: 'theirs', result: 'paused' }]);
    const res = await sys.call(admin, 'POST', `/domains/${domain}/jobs/reactivate`, { jobs: ['one', 'nightly', 'two', 'theirs', 'ghost'] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results, [
      { job: 'one', result: 'reactivated' },
      { job: 'nightly', result: 'reactivated' },
      { job: 'two', result: 'not_paused' },
      { job: 'theirs', result: 'not_found' },
      { job: 'ghost', result: 'not_found' },
    ]);
    await eventually(async () => !(await sys.client.schedule.getHandle(`schedule-${domain}-nightly`).describe()).state.paused || undefined, 'the schedule resumed');
    const theirs = await job('elsewhere', 'theirs', other);
    assert.equal(theirs.status, 'paused');
    assert.equal(theirs.paused.note, 'theirs to lift');
    assert.deepEqual((await sys.call(other, 'POST', '/domains/elsewhere/jobs/reactivate', { jobs: ['theirs'] })).json.results,
      [{ job: 'theirs', result: 'reactivated' }]);
  });

  it("lets a system administrator pause and reactivate every job of a domain, and only them", async () => {
    assert.equal((await sys.call(admin, 'POST', `/domains/${domain}/pause`, { note: 'x' })).status, 403, 'a domain administrator may not');
    const paused = await sys.call(system, 'POST', `/domains/${domain}/pause`, { note: 'incident 42' });
    assert.equal(paused.status, 200, paused.text);
    assert.deepEqual(paused.json.results.map((r: { job: string; result: string }) => `${r.job}:${r.result}`).sort(), ['nightly:paused', 'one:paused', 'three:paused', 'two:paused']);
    for (const id of ['one', 'two', 'three', 'nightly']) {
      await eventually(async () => (await job(domain, id)).status === 'paused' || undefined, `${id} paused`);
    }
    assert.notEqual((await job('elsewhere', 'theirs', system)).status, 'paused');
    const reactivated = await sys.call(system, 'POST', `/domains/${domain}/reactivate`);
    assert.deepEqual(reactivated.json.results.map((r: { result: string }) => r.result), ['reactivated', 'reactivated', 'reactivated', 'reactivated']);
    const audit = await sys.call(system, 'GET', `/audit?domain=${domain}`);
    assert.match(JSON.stringify(audit.json), /incident 42/);
  });

  it('refuses a bulk request that names a job twice or none, saying where', async () => {
    const twice = await sys.call(admin, 'POST', `/domains/${domain}/jobs/pause`, { jobs: ['one', 'one'] });
    assert.equal(twice.status, 400);
    assert.match(twice.text, /jobs/);
    const none = await sys.call(admin, 'POST', `/domains/${domain}/jobs/reactivate`, { jobs: [] });
    assert.equal(none.status, 400);
  });
});
