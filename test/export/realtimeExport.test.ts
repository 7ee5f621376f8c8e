import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FAILED_TYPES } from '../../domain/failures';
import type { RunCounters } from '../../domain/runStatus';
import { activityEnv, createExportJob, nextRun, rejection, runExport, startHarness, type ExportHarness } from './fixtures';

/**
 * Realtime export of sections: changes recorded with each transaction (by the outbox
 * trigger), delivered in order, each once, the cursor moving only after a delivery.
 */
describe('realtime export of changes', () => {
  let h: ExportHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.stop());

  const HEADER = 'change_id,operation,section_id,course_code,section_number,title,instructor,term,campus,status,meeting_days,start_time,end_time,room,capacity,enrolled\n';
  const ids = async (domain: string) =>
    (await h.pool.query<{ id: string }>('select id from sections_outbox where domain = $1 order by id', [domain])).rows.map((r) => Number(r.id));
  const cursor = async (jobUuid: string) =>
    Number((await h.pool.query('select delivered_up_to from export_cursors where job_id = $1', [jobUuid])).rows[0]?.delivered_up_to ?? 0);

  it('records changes only for domains with a realtime export job, in the same transaction', async () => {
    const { ref } = await createExportJob(h, { destinationUrl: `file://${h.filesDir}/`, mode: 'batch' });
    await h.pool.query(`insert into sections (domain, section_id, course_code) values ($1, 'X-1', 'X')`, [ref.domain]);
    assert.deepEqual(await ids(ref.domain), [], 'no realtime job: nothing recorded');

    const rt = await createExportJob(h, { destinationUrl: `file://${h.filesDir}/`, mode: 'realtime' });
    const db = await h.pool.connect();
    try {
      await db.query('begin');
      await db.query(`insert into sections (domain, section_id, course_code) values ($1, 'X-1', 'X')`, [rt.ref.domain]);
      await db.query('rollback');
    } finally {
      db.release();
    }
    assert.deepEqual(await ids(rt.ref.domain), [], 'a rolled-back change is not recorded');

    // An upsert inside a CTE that changes only rows that differ (as imports once loaded): the
    // trigger records each statement's changed rows, in statement order.
    const upsert = (rows: [string, string][]) => h.pool.query(
      `with up as (
         insert into sections (domain, section_id, course_code) select $1, s.id, s.course from unnest($2::text[], $3::text[]) as s (id, course)
         on conflict (domain, section_id) do update set course_code = excluded.course_code
         where (sections.course_code) is distinct from (excluded.course_code)
         returning (xmax = 0) as inserted)
       select count(*) filter (where inserted) as inserted from up`,
      [rt.ref.domain, rows.map((r) => r[0]), rows.map((r) => r[1])],
    );
    await upsert([['I-1', 'I'], ['I-2', 'I']]);
    await upsert([['I-1', 'I'], ['I-2', 'J'], ['I-3', 'K']]);
    const { rows } = await h.pool.query(`select section_id, op, row ->> 'course_code' as course from sections_outbox where domain = $1 order by id`, [rt.ref.domain]);
    const recorded = rows.map((r) => [r.section_id, r.op, r.course]);
    // One statement's changes (distinct keys) come after the earlier statement's, in any order among themselves.
    assert.deepEqual(recorded.slice(0, 2), [['I-1', 'upsert', 'I'], ['I-2', 'upsert', 'I']]);
    assert.deepEqual(recorded.slice(2).sort(), [['I-2', 'upsert', 'J'], ['I-3', 'upsert', 'K']]);
  });

  it('delivers a sequence of changes in order, each once, across a failed delivery and a lost spool', async () => {
    const { domain, out } = h.outFolder('changes-');
    const { ref, jobUuid } = await createExportJob(h, { domain, destinationUrl: `file://${out}/`, mode: 'realtime', rules: { campuses: ['MAIN'] } });
    const d = ref.domain;
    const q = (sql: string) => h.pool.query(sql.replaceAll('$D', `'${d}'`));

    // Changes in three transactions, as an import and two edits through the API would make them.
    await q(`insert into sections (domain, section_id, course_code, title, campus, capacity) values
               ($D, 'A-1', 'A', 'Alpha', 'MAIN', 10), ($D, 'B-1', 'B', '=1+2', 'MAIN', 20)`);
    await q(`update sections set title = 'Alpha, "revised"' where domain = $D and section_id = 'A-1'`);
    await q(`update sections set updated_at = now() where domain = $D and section_id = 'A-1'`); // not a change of data
    await q(`delete from sections where domain = $D and section_id = 'B-1'`);
    const first = await ids(d);
    assert.equal(first.length, 4);

    const run1 = await runExport(h, ref);
    assert.equal(run1.delivered.read, 4);
    assert.equal(run1.delivered.inserted, 4);
    // A job starts after the domain's last change when it was created: none here, so after 0 (ids are shared by all domains).
    const name1 = `sections-export-changes-1-${first[3]}.csv`;
    assert.deepEqual(fs.readdirSync(out), [name1]);
    assert.equal(fs.readFileSync(path.join(out, name1), 'utf8'), HEADER + [
      `${first[0]},upsert,A-1,A,,Alpha,,,MAIN,active,,,,,10,`,
      `${first[1]},upsert,B-1,B,,'=1+2,,,MAIN,active,,,,,20,`,
      `${first[2]},upsert,A-1,A,,"Alpha, ""revised""",,,MAIN,active,,,,,10,`,
      `${first[3]},delete,B-1,,,,,,,,,,,,,`,
    ].join('\n') + '\n');
    assert.equal(await cursor(jobUuid), first[3]);
    assert.deepEqual(await ids(d), [], 'delivered by the domain\'s only realtime job: pruned');

    // Nothing new: nothing sent.
    const run2 = await nextRun(h, ref);
    const quiet = await runExport(h, run2);
    assert.equal(quiet.delivered.read, 0);
    assert.equal(fs.readdirSync(out).length, 1);

    // Two more changes; the first try cannot write (the folder is gone): failed, cursor unmoved.
    await q(`insert into sections (domain, section_id, course_code, campus) values ($D, 'C-1', 'C', 'MAIN')`);
    await q(`update sections set campus = 'NORTH' where domain = $D and section_id = 'A-1'`); // leaves the filter
    const second = await ids(d);
    assert.equal(second.length, 2);
    fs.rmSync(out, { recursive: true });
    const run3 = await nextRun(h, run2);
    await activityEnv().run(h.activities.extractExport, run3);
    const failed = await rejection(activityEnv().run(h.activities.deliverExport, run3));
    assert.equal(failed.type, FAILED_TYPES.destinationUnavailable);
    assert.equal(await cursor(jobUuid), first[3]);

    // One more change arrives before the retry; the retry carries run 3's changes again, under the same
    // name, and its spool is lost on the way (a worker restart): it extracts the same range again.
    fs.mkdirSync(out);
    await q(`update sections set capacity = 11 where domain = $D and section_id = 'C-1'`);
    const run4 = await nextRun(h, run3);
    await activityEnv().run(h.activities.extractExport, run4);
    const run4Id = (await h.pool.query('select id from runs where job_id = $1 and number = 4', [jobUuid])).rows[0].id;
    fs.rmSync(path.join(h.config.exportWorkDir, `run_${run4Id}.csv`));
    const retried: RunCounters = await activityEnv().run(h.activities.deliverExport, run4);
    assert.equal(retried.inserted, 2);
    const name2 = `sections-export-changes-${first[3]! + 1}-${second[1]}.csv`;
    assert.deepEqual(fs.readdirSync(out), [name2]);
    assert.equal(fs.readFileSync(path.join(out, name2), 'utf8'), HEADER + [
      `${second[0]},upsert,C-1,C,,,,,MAIN,active,,,,,,`,
      `${second[1]},delete,A-1,,,,,,,,,,,,,`,
    ].join('\n') + '\n');

    // Delivering run 4 again sends nothing; the next run carries the last change, once.
    await activityEnv().run(h.activities.deliverExport, run4);
    assert.equal(fs.readdirSync(out).length, 1);
    const [last] = await ids(d);
    const run5 = await runExport(h, await nextRun(h, run4));
    assert.equal(run5.delivered.inserted, 1);
    assert.deepEqual(fs.readdirSync(out).sort(), [name2, `sections-export-changes-${last}-${last}.csv`].sort());
    assert.equal(await cursor(jobUuid), last);
  });
});
