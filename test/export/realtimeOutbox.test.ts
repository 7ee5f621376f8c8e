import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createExportJob, nextRun, runExport, startHarness, type ExportHarness } from './fixtures';

/**
 * The realtime outbox's two ends: a new realtime job starts from the domain's last recorded
 * change (not from the oldest kept one), and changes every realtime job of the domain has
 * delivered are deleted, while those a job has yet to deliver are kept.
 */
describe('realtime export: start point and outbox pruning', () => {
  let h: ExportHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.stop());

  const domainName = () => `rto${crypto.randomBytes(4).toString('hex')}`;
  const ids = async (domain: string) =>
    (await h.pool.query<{ id: string }>('select id from sections_outbox where domain = $1 order by id', [domain])).rows.map((r) => Number(r.id));
  const cursor = async (jobUuid: string) =>
    Number((await h.pool.query('select delivered_up_to from export_cursors where job_id = $1', [jobUuid])).rows[0]?.delivered_up_to ?? -1);
  const change = (domain: string, sql: string) => h.pool.query(sql.replaceAll('$D', `'${domain}'`));
  const insertJob = (domain: string, identifier: string, mode: 'batch' | 'realtime', db: { query: typeof h.pool.query } = h.pool) =>
    db.query<{ id: string }>(
      `insert into jobs (id, domain, identifier, name, task_type, direction, mode, rules, destination_url)
       values ($1, $2, $3, 'Export', 'sectionsCsv', 'export', $4, '{}', 'file:///nowhere/') returning id`,
      [crypto.randomUUID(), domain, identifier, mode],
    ).then((r) => r.rows[0]!.id);
  /** A folder's batch files, in the order of their first change id. */
  const batchFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.csv'))
    .sort((x, y) => Number(/-changes-(\d+)-/.exec(x)![1]) - Number(/-changes-(\d+)-/.exec(y)![1]));
  const changeIdsIn = (file: string) =>
    fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));

  it('a new realtime job starts after the changes recorded before it; an older one still gets them', async () => {
    const d = domainName();
    const outA = fs.mkdtempSync(path.join(h.areaOf(d), 'a-'));
    const outB = fs.mkdtempSync(path.join(h.areaOf(d), 'b-'));
    const a = await createExportJob(h, { domain: d, identifier: 'first', destinationUrl: `file://${outA}/`, mode: 'realtime' });
    assert.equal(await cursor(a.jobUuid), 0, 'the first realtime job of a domain with no recorded changes starts at 0');
    await change(d, `insert into sections (domain, section_id, course_code) values ($D, 'S-1', 'S'), ($D, 'S-2', 'S')`);
    await change(d, `update sections set title = 'Two' where domain = $D and section_id = 'S-2'`);
    const before = await ids(d);
    assert.equal(before.length, 3);

    const b = await createExportJob(h, { domain: d, identifier: 'second', destinationUrl: `file://${outB}/`, mode: 'realtime' });
    assert.equal(await cursor(b.jobUuid), before[2], "a new job's cursor is the domain's last recorded change");
    await change(d, `delete from sections where domain = $D and section_id = 'S-1'`);
    const after = (await ids(d)).slice(3);
    assert.equal(after.length, 1);

    const runB = await runExport(h, b.ref);
    assert.equal(runB.delivered.inserted, 1, 'the new job sends only the change made after it was created');
    assert.deepEqual(batchFiles(outB), [`sections-second-changes-${before[2]! + 1}-${after[0]}.csv`]);
    assert.deepEqual(changeIdsIn(path.join(outB, batchFiles(outB)[0]!)), after);

    const runA = await runExport(h, a.ref);
    assert.equal(runA.delivered.inserted, 4, 'the older job sends everything since it was created');
    assert.deepEqual(changeIdsIn(path.join(outA, batchFiles(outA)[0]!)), [...before, ...after]);
  });

  it("a job created while a writer holds the domain's turn starts after that writer's changes", async () => {
    const d = domainName();
    await createExportJob(h, { domain: d, identifier: 'existing', destinationUrl: `file://${h.areaOf(d)}/`, mode: 'realtime' });
    const writer = await h.pool.connect();
    let created: Promise<string> | undefined;
    try {
      await writer.query('begin');
      await writer.query(`insert into sections (domain, section_id, course_code) values ($1, 'W-1', 'W')`, [d]);
      created = insertJob(d, 'late', 'realtime');
      const raced = await Promise.race([created.then(() => 'created'), new Promise((r) => setTimeout(() => r('waiting'), 500))]);
      assert.equal(raced, 'waiting', 'the job waits for the uncommitted change to be decided');
      await writer.query('commit');
    } finally {
      writer.release();
    }
    const lateId = await created!;
    const recorded = await ids(d);
    assert.equal(recorded.length, 1);
    assert.equal(await cursor(lateId), recorded[0], 'the committed change counts as before the job');
    // Changed into a realtime export later: it starts from then, too.
    await change(d, `update sections set title = 'later' where domain = $D`);
    const batchId = await insertJob(d, 'was-batch', 'batch');
    assert.equal(await cursor(batchId), -1, 'a batch job has no cursor');
    await h.pool.query(`update jobs set mode = 'realtime' where id = $1`, [batchId]);
    assert.equal(await cursor(batchId), (await ids(d)).at(-1));
  });

  it("deletes changes once every realtime job of the domain has delivered them, keeps the rest", async () => {
    const d = domainName();
    const outA = fs.mkdtempSync(path.join(h.areaOf(d), 'pa-'));
    const outB = fs.mkdtempSync(path.join(h.areaOf(d), 'pb-'));
    const a = await createExportJob(h, { domain: d, identifier: 'fast', destinationUrl: `file://${outA}/`, mode: 'realtime' });
    const b = await createExportJob(h, { domain: d, identifier: 'slow', destinationUrl: `file://${outB}/`, mode: 'realtime' });
    await change(d, `insert into sections (domain, section_id, course_code) select $D, 'P-' || i, 'P' from generate_series(1, 5) i`);
    const wave1 = await ids(d);
    assert.equal(wave1.length, 5);

    // A delivers; B has not: everything is kept for B.
    const a1 = await runExport(h, a.ref);
    assert.equal(a1.delivered.inserted, 5);
    assert.deepEqual(await ids(d), wave1, 'changes the second job has not delivered are kept');

    // B delivers wave 1; A has not seen wave 2 yet: wave 1 goes, wave 2 stays.
    await change(d, `update sections set capacity = 9 where domain = $D and section_id in ('P-1', 'P-2')`);
    const wave2 = (await ids(d)).slice(5);
    assert.equal(wave2.length, 2);
    const b1 = await runExport(h, b.ref);
    assert.equal(b1.delivered.inserted, 7);
    assert.deepEqual(await ids(d), wave2, 'delivered by both: gone; not yet delivered by the first: kept');
    const a2 = await runExport(h, await nextRun(h, a.ref));
    assert.equal(a2.delivered.inserted, 2);
    assert.deepEqual(await ids(d), [], 'delivered by both: the outbox keeps nothing of the domain');
    assert.deepEqual(changeIdsIn(path.join(outA, batchFiles(outA)[1]!)), wave2, 'pruning never cost a job a change');

    // The bound: one call deletes at most the rows it is given.
    await change(d, `insert into sections (domain, section_id, course_code) select $D, 'Q-' || i, 'Q' from generate_series(1, 4) i`);
    await h.pool.query('update export_cursors set delivered_up_to = (select max(id) from sections_outbox) where job_id = any($1)', [[a.jobUuid, b.jobUuid]]);
    assert.equal((await h.pool.query('select sections_outbox_prune($1, 3) as n', [d])).rows[0].n, 3);
    assert.equal((await ids(d)).length, 1);
  });

  it("deletes a domain's changes when its last realtime job goes, at a later cursor advance", async () => {
    const gone = domainName();
    const left = await createExportJob(h, { domain: gone, identifier: 'leaving', destinationUrl: `file://${h.areaOf(gone)}/`, mode: 'realtime' });
    const stays = await createExportJob(h, { domain: gone, identifier: 'staying', destinationUrl: `file://${h.areaOf(gone)}/`, mode: 'realtime' });
    await change(gone, `insert into sections (domain, section_id, course_code) select $D, 'G-' || i, 'G' from generate_series(1, 3) i`);
    assert.equal((await ids(gone)).length, 3);
    await h.pool.query('delete from jobs where id = $1', [left.jobUuid]);
    // One realtime job remains and has delivered nothing: the changes are still needed.
    const other = domainName();
    const out = fs.mkdtempSync(path.join(h.areaOf(other), 'o-'));
    let run = (await createExportJob(h, { domain: other, destinationUrl: `file://${out}/`, mode: 'realtime' })).ref;
    await runExport(h, run);
    assert.equal((await ids(gone)).length, 3, "a remaining job's undelivered changes are kept");

    await h.pool.query('delete from jobs where id = $1', [stays.jobUuid]);
    const pending = () => h.pool.query('select 1 from sections_outbox_prune_pending where domain = $1', [gone]).then((r) => r.rowCount);
    assert.equal(await pending(), 1);
    // Each advance (here in another domain, with nothing to send) prunes one domain left behind.
    for (let i = 0; i < 10 && (await pending()); i++) {
      run = await nextRun(h, run);
      await runExport(h, run);
    }
    assert.deepEqual(await ids(gone), [], 'no realtime job left: none of its changes are kept');
    assert.equal(await pending(), 0);
  });
});
