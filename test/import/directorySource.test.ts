import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSystem, type TestSystem } from '../setup/system';
import { createJob, fixture, importOnce, runNow, waitForRun } from './helpers';

/** `file:` directory sources (oldest first, renamed after the commit) and the allowed roots. */
describe('import: directory sources and allowed roots', function () {
  this.timeout(180_000);
  let sys: TestSystem;
  let admin: string;
  const domain = 'dirs';
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => sys?.stop());

  const H = 'section_id,course_code,title,capacity\n';
  const write = (dir: string, name: string, content: string | Buffer, minutesAgo: number) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    const t = new Date(Date.now() - minutesAgo * 60_000);
    fs.utimesSync(p, t, t);
  };

  it('reads files oldest first, refuses the bad one whole, renames only what it imported, and never reads a file twice', async () => {
    const dir = path.join(sys.areaOf(domain), 'inbox');
    fs.mkdirSync(dir);
    write(dir, 'c-newest.csv', H + 'C1,C1,from c,1\nA1,X9,A1 again in c,9\n', 1);
    write(dir, 'b-garbage.bin', fs.readFileSync(fixture('binary.bin')), 2);
    write(dir, 'a-oldest.csv', H + 'A1,C1,from a,1\nA2,C2,from a,2\n', 3);
    write(dir, '.hidden.csv', H + 'Z1,C1,hidden,1\n', 4);
    const id = await createJob(sys, admin, domain, `file://${dir}`);
    await runNow(sys, admin, domain, id);
    const r = await waitForRun(sys, admin, domain, id, 1);
    assert.equal(r.run.status, 'partially_completed');
    assert.equal(r.run.counters.inserted, 3);
    const { rows } = await sys.db.query(`select section_id, title from sections where domain = $1 order by 1`, [domain]);
    assert.deepEqual(rows, [{ section_id: 'A1', title: 'from a' }, { section_id: 'A2', title: 'from a' }, { section_id: 'C1', title: 'from c' }]);
    assert.equal(r.rejected.length, 2);
    assert.deepEqual(r.rejected[0], { line: 0, column: '', reason: r.rejected[0]!.reason, raw: '' });
    assert.match(r.rejected[0]!.reason, /^b-garbage\.bin: the file was not imported and stays in the directory: b-garbage\.bin line \d+: the bytes at offset \d+ .*not valid UTF-8/);
    assert.deepEqual(r.rejected[1], { line: 3, column: 'section_id', reason: 'c-newest.csv: duplicate key (first seen on line 2 of a-oldest.csv)', raw: 'A1,X9,A1 again in c,9' });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['.hidden.csv', 'a-oldest.csv.imported', 'b-garbage.bin', 'c-newest.csv.imported']);

    // The next run finds only the refused file: nothing is read twice.
    await runNow(sys, admin, domain, id);
    const again = await waitForRun(sys, admin, domain, id, 2);
    assert.deepEqual(again.run.counters, { read: 1, inserted: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0, warnings: 0, rejected: 1 });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['.hidden.csv', 'a-oldest.csv.imported', 'b-garbage.bin', 'c-newest.csv.imported']);

    // Without the bad file, a directory with no new file completes with a warning that says so.
    fs.rmSync(path.join(dir, 'b-garbage.bin'));
    await runNow(sys, admin, domain, id);
    const empty = await waitForRun(sys, admin, domain, id, 3);
    assert.equal(empty.run.status, 'completed_with_warnings');
    assert.deepEqual(empty.run.warningsByKind, { no_new_file: 1 });
  });

  it('a single-file source is not renamed', async () => {
    const file = path.join(sys.areaOf(domain), 'single.csv');
    fs.writeFileSync(file, H + 'S1,C1,single,1\n');
    const r = await importOnce(sys, admin, domain, file);
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.ok(fs.existsSync(file));
  });

  /** A source outside the domain's area is refused, at creation or at run time (halted); either way nothing is read. */
  const refused = async (source: string, pattern: RegExp) => {
    const id = `refused-${Date.now()}`;
    const created = await sys.call(admin, 'POST', `/domains/${domain}/jobs`, { id, name: 'x', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: source });
    if (created.status !== 201) {
      assert.equal(created.status, 422, created.text);
      assert.match(created.text, pattern);
      assert.equal((await sys.call(admin, 'GET', `/domains/${domain}/jobs/${id}`)).status, 404, 'a refused job is not saved');
      return;
    }
    await runNow(sys, admin, domain, created.json.id);
    const r = await waitForRun(sys, admin, domain, created.json.id, 1);
    assert.equal(r.run.status, 'halted');
    assert.match(r.run.reason, pattern);
  };

  const outsideArea = /file sources of domain dirs must be under .*\/dirs\//;

  it('refuses a path outside the allowed roots', async () => {
    await refused('file:///etc/passwd', outsideArea);
  });

  it('refuses `..` that climbs out of a root', async () => {
    await refused(`file://${sys.areaOf(domain)}/../../../etc/passwd`, outsideArea);
  });

  it('refuses a symlink that leads out of the area, as a source; inside a directory source the run halts, naming it', async () => {
    fs.symlinkSync('/etc/hostname', path.join(sys.areaOf(domain), 'escape.csv'));
    await refused(`file://${sys.areaOf(domain)}/escape.csv`, outsideArea);
    const dir = path.join(sys.areaOf(domain), 'linked');
    fs.mkdirSync(dir);
    fs.symlinkSync('/etc/hostname', path.join(dir, 'escape.csv'));
    await refused(`file://${dir}`, /escape\.csv in .*outside the file area of domain dirs/);
  });
});
