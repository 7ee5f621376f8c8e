import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { createJob, runNow, waitForRun } from './helpers';

/**
 * Two domains whose administrators try to read, take and plant each other's files through
 * imports, exports, sampling and directory watching; and the hostile files (FIFOs, devices,
 * links, an endless file) at each entry point. Everything through the real system.
 */
describe('file areas: no domain reaches another domain\'s files; hostile files are refused, not read', function () {
  this.timeout(300_000);
  let sys: TestSystem;
  let acme: string;
  let beta: string;
  let A: string;
  let B: string;
  const HEADER = 'section_id,course_code,title,capacity';
  const VICTIM = `${HEADER}\nV-1,VIC101,Victim data,10\n`;

  before(async () => {
    sys = await startSystem();
    acme = await sys.token('domain_admin', 'acme');
    beta = await sys.token('domain_admin', 'beta');
    A = sys.areaOf('acme');
    B = sys.areaOf('beta');
    fs.mkdirSync(path.join(B, 'drop'));
    fs.writeFileSync(path.join(B, 'drop', 'victim.csv'), VICTIM);
  });
  after(async () => sys?.stop());

  /** Beta's drop folder as it must stay: the victim file, unrenamed and unchanged, and nothing planted. */
  const betaUntouched = () => {
    assert.deepEqual(fs.readdirSync(path.join(B, 'drop')), ['victim.csv']);
    assert.equal(fs.readFileSync(path.join(B, 'drop', 'victim.csv'), 'utf8'), VICTIM);
  };
  const acmeRows = async () => (await sys.db.query(`select section_id from sections where domain = 'acme' order by 1`)).rows.map((r) => r.section_id);
  const save = (token: string, domain: string, body: Record<string, unknown>) =>
    sys.call(token, 'POST', `/domains/${domain}/jobs`, { name: String(body.id), taskType: 'sectionsCsv', mode: 'batch', ...body });
  const runOf = async (id: string) => {
    await runNow(sys, acme, 'acme', id);
    return (await waitForRun(sys, acme, 'acme', id, 1)).run;
  };

  it("refuses at save, with a 422 naming acme's area, sources and destinations in beta's area, the bare root, or reached by .. or a link", async () => {
    fs.symlinkSync(path.join(B, 'drop'), path.join(A, 'beta-drop'));
    const urls = [`file://${B}/drop/`, `file://${B}/drop/victim.csv`, `file://${sys.filesDir}/`, `file://${A}/../beta/drop/`, `file://${A}/beta-drop/`, `file://${A}/beta-drop/victim.csv`];
    for (const [i, url] of urls.entries()) {
      const imp = await save(acme, 'acme', { id: `steal-${i}`, sourceUrl: url });
      assert.equal(imp.status, 422, `${url}: ${imp.text}`);
      assert.match(imp.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.match(imp.json.detail, new RegExp(`^sourceUrl: file sources of domain acme must be under ${A}/ `));
      const exp = await save(acme, 'acme', { id: `plant-${i}`, direction: 'export', destinationUrl: url });
      assert.equal(exp.status, 422, `${url}: ${exp.text}`);
      assert.match(exp.json.detail, new RegExp(`^destinationUrl: file destinations of domain acme must be under ${A}/ `));
    }
    const ok = await save(acme, 'acme', { id: 'own', sourceUrl: `file://${A}/own.csv` });
    assert.equal(ok.status, 201, ok.text);
    const patched = await sys.call(acme, 'PATCH', '/domains/acme/jobs/own', { sourceUrl: `file://${B}/drop/` });
    assert.equal(patched.status, 422, patched.text);
    // Beta may of course use its own folder.
    assert.equal((await save(beta, 'beta', { id: 'drop', sourceUrl: `file://${B}/drop/` })).status, 201);
    betaUntouched();
  });

  it("a folder swapped for a link to beta's after saving: the import run halts, beta's file is neither read nor renamed", async () => {
    const inbox = path.join(A, 'inbox');
    fs.mkdirSync(inbox);
    await createJob(sys, acme, 'acme', `file://${inbox}/`, { id: 'swapped' });
    fs.rmdirSync(inbox);
    fs.symlinkSync(path.join(B, 'drop'), inbox);
    const run = await runOf('swapped');
    assert.equal(run.status, 'halted', run.reason);
    assert.match(run.reason, new RegExp(`outside the file area of domain acme: its files must be under ${A}/`));
    assert.deepEqual(await acmeRows(), []);
    betaUntouched();
  });

  it("a link inside acme's folder to beta's file: the run halts naming it; sampling the folder answers 422 without the file's contents", async () => {
    const dir = path.join(A, 'linked');
    fs.mkdirSync(dir);
    fs.symlinkSync(path.join(B, 'drop', 'victim.csv'), path.join(dir, 'a.csv'));
    await createJob(sys, acme, 'acme', `file://${dir}/`, { id: 'linked' });
    const sample = await sys.call(acme, 'POST', '/domains/acme/jobs/linked/sample', { fromSource: true });
    assert.equal(sample.status, 422, sample.text);
    assert.match(sample.json.detail, /a\.csv in .* is outside the file area of domain acme/);
    assert.doesNotMatch(sample.text, /Victim data|V-1/);
    const run = await runOf('linked');
    assert.equal(run.status, 'halted', run.reason);
    assert.match(run.reason, /a\.csv in .*outside the file area of domain acme/);
    assert.deepEqual(await acmeRows(), []);
    betaUntouched();
  });

  it('a job saved before file areas existed, pointing at another domain\'s folder, halts with a reason that says so', async () => {
    await createJob(sys, acme, 'acme', `file://${A}/legacy.csv`, { id: 'legacy' });
    // As an older release stored it: the path check at save did not know of areas.
    await sys.db.query(`update jobs set source_url = $1 where domain = 'acme' and identifier = 'legacy'`, [`file://${B}/drop/`]);
    const run = await runOf('legacy');
    assert.equal(run.status, 'halted', run.reason);
    assert.match(run.reason, /outside the file area of domain acme: its files must be under .*Move the files into the domain's area/);
    betaUntouched();
  });

  it("exports: a destination folder swapped for a link to beta's halts and plants nothing; links planted at the final and the old temporary name are not followed", async () => {
    const out = path.join(A, 'out');
    fs.mkdirSync(out);
    assert.equal((await save(acme, 'acme', { id: 'exp-swap', direction: 'export', destinationUrl: `file://${out}/` })).status, 201);
    fs.rmdirSync(out);
    fs.symlinkSync(path.join(B, 'drop'), out);
    const swapped = await runOf('exp-swap');
    assert.equal(swapped.status, 'halted', swapped.reason);
    assert.match(swapped.reason, /outside the file area of domain acme/);
    betaUntouched();

    const out2 = path.join(A, 'out2');
    fs.mkdirSync(out2);
    fs.symlinkSync(path.join(B, 'drop', 'victim.csv'), path.join(out2, 'sections.csv'));
    fs.symlinkSync(path.join(B, 'drop', 'victim.csv'), path.join(out2, '.sections.csv.part'));
    assert.equal((await save(acme, 'acme', { id: 'exp-links', direction: 'export', destinationUrl: `file://${out2}/sections.csv` })).status, 201);
    const planted = await runOf('exp-links');
    assert.equal(planted.status, 'completed', planted.reason);
    const final = fs.lstatSync(path.join(out2, 'sections.csv'));
    assert.ok(final.isFile(), 'the final name is our regular file, not the planted link');
    assert.equal(final.mode & 0o777, 0o600);
    assert.match(fs.readFileSync(path.join(out2, 'sections.csv'), 'utf8'), /^section_id,/);
    assert.ok(fs.lstatSync(path.join(out2, '.sections.csv.part')).isSymbolicLink(), 'the planted temp-name link is left alone');
    assert.deepEqual(fs.readdirSync(out2).sort(), ['.sections.csv.part', 'sections.csv']);
    betaUntouched();
  });

  it("directory watching: an on-demand job's folder swapped for a link to beta's announces nothing; acme's own watched folder still works", async () => {
    const watched = path.join(A, 'watched');
    const own = path.join(A, 'own-watched');
    fs.mkdirSync(watched);
    fs.mkdirSync(own);
    assert.equal((await save(acme, 'acme', { id: 'watch-swapped', mode: 'on-demand', sourceUrl: `file://${watched}/` })).status, 201);
    fs.rmdirSync(watched);
    fs.symlinkSync(path.join(B, 'drop'), watched);
    assert.equal((await save(acme, 'acme', { id: 'watch-own', mode: 'on-demand', sourceUrl: `file://${own}/` })).status, 201);
    // Beta drops a new file; acme's own folder gets one after it: both watches poll alike.
    fs.writeFileSync(path.join(B, 'drop', 'new.csv'), VICTIM.replace('V-1', 'V-2'));
    fs.writeFileSync(path.join(own, 'mine.csv'), `${HEADER}\nA-1,ACM101,Acme,5\n`);
    const mine = await waitForRun(sys, acme, 'acme', 'watch-own', 1);
    assert.equal(mine.run.status, 'completed', mine.run.reason);
    await new Promise((r) => setTimeout(r, 2 * 2_000)); // two more polls of the swapped watch (WATCH_POLL_MS)
    const swapped = await sys.call(acme, 'GET', '/domains/acme/jobs/watch-swapped');
    assert.deepEqual(swapped.json.lastRuns, [], 'no run was started from beta\'s folder');
    assert.equal(swapped.json.currentRun, null);
    assert.deepEqual(fs.readdirSync(path.join(B, 'drop')).sort(), ['new.csv', 'victim.csv']);
    fs.rmSync(path.join(B, 'drop', 'new.csv'));
    assert.deepEqual(await acmeRows(), ['A-1']);
    betaUntouched();
  });

  it('a FIFO or a character device as a source: the run halts at once as not a regular file', async () => {
    execFileSync('mkfifo', [path.join(A, 'pipe.csv')]);
    execFileSync('mknod', [path.join(A, 'zero.csv'), 'c', '1', '5']); // the numbers of /dev/zero
    fs.symlinkSync('/dev/urandom', path.join(A, 'urandom.csv'));
    const linked = await save(acme, 'acme', { id: 'urandom', sourceUrl: `file://${A}/urandom.csv` });
    assert.equal(linked.status, 422, 'a link to a device outside the area is refused at save');
    for (const [id, name, pattern] of [
      ['fifo', 'pipe.csv', /pipe\.csv is a named pipe \(FIFO\), not a regular file/],
      ['device', 'zero.csv', /zero\.csv is a character device, not a regular file/],
    ] as const) {
      await createJob(sys, acme, 'acme', `file://${A}/${name}`, { id });
      const t0 = Date.now();
      const run = await runOf(id);
      assert.equal(run.status, 'halted', run.reason);
      assert.match(run.reason, pattern);
      assert.ok(Date.now() - t0 < 30_000, `${id} took ${Date.now() - t0} ms`);
    }
  });

  it('sampling a FIFO answers 422 at once, several at a time, and the API answers other requests meanwhile', async () => {
    await createJob(sys, acme, 'acme', `file://${A}/pipe.csv`, { id: 'sample-fifo' });
    await createJob(sys, acme, 'acme', `file://${A}/zero.csv`, { id: 'sample-device' });
    const samples = Array.from({ length: 8 }, (_, i) => sys.call(acme, 'POST', `/domains/acme/jobs/${i % 2 ? 'sample-device' : 'sample-fifo'}/sample`, { fromSource: true }));
    const t0 = Date.now();
    const list = await sys.call(acme, 'GET', '/domains/acme/jobs');
    assert.equal(list.status, 200);
    assert.ok(Date.now() - t0 < 5_000, `the job list took ${Date.now() - t0} ms`);
    for (const r of await Promise.all(samples)) {
      assert.equal(r.status, 422, r.text);
      assert.match(r.json.detail, /not a regular file/);
    }
    // A refused source leaves the setup status alone (as any refused source does): nothing is left `sampling`.
    assert.equal((await sys.call(acme, 'GET', '/domains/acme/jobs/sample-fifo/sample')).json.status, 'ready');
  });

  it('an endless regular file (a terabyte of holes): cancel stops the run within ten seconds, and heartbeats carried the bytes read', async () => {
    const file = path.join(A, 'endless.csv');
    fs.writeFileSync(file, `${HEADER}\n`);
    fs.truncateSync(file, 2 ** 40);
    await createJob(sys, acme, 'acme', `file://${file}`, { id: 'endless' });
    await runNow(sys, acme, 'acme', 'endless');
    const workflowId = await eventually(async () => {
      const j = await sys.call(acme, 'GET', '/domains/acme/jobs/endless');
      return j.json.currentRun?.phase === 'validating' ? j.json.currentRun.workflowId ?? 'run-acme-endless-1' : undefined;
    }, 'the endless run validating');
    // Its heartbeats report bytes actually read (Temporal's view of the activity).
    const details = await eventually(async () => {
      const d = await sys.client.workflow.getHandle(workflowId).describe();
      const activity = d.raw.pendingActivities?.[0];
      const payload = activity?.heartbeatDetails?.payloads?.[0]?.data;
      if (!payload) return undefined;
      const beat = JSON.parse(Buffer.from(payload).toString('utf8')) as { bytesRead?: number };
      return beat.bytesRead && beat.bytesRead > 1 << 20 ? beat : undefined;
    }, 'a heartbeat with the bytes read');
    assert.ok(details.bytesRead! > 1 << 20);
    const t0 = Date.now();
    const res = await sys.call(acme, 'POST', '/domains/acme/jobs/endless/cancel');
    assert.equal(res.status, 202, res.text);
    const run = await waitForRun(sys, acme, 'acme', 'endless', 1, 30_000);
    assert.equal(run.run.status, 'canceled', run.run.reason);
    assert.ok(Date.now() - t0 < 10_000, `canceled after ${Date.now() - t0} ms`);
  });
});
