import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SECTIONS_HEADER } from '../setup/sectionsFile';
import { runNow } from '../setup/jobs';
import { eventually, startSystem, type TestSystem } from '../setup/system';

/**
 * A realtime sections export on its schedule, served by a worker in its own process, while
 * changes arrive in waves (SQL statements of every kind, and an import run by the same worker). The worker is SIGKILLed twice while a run is extracting or
 * delivering (and changes are made while no worker runs), then started again. Every change
 * must arrive exactly once, in change-id order, with its operation and values: the batch
 * files' ranges chain without gap or overlap, and their rows are exactly the changes the
 * outbox recorded for the domain.
 *
 * The outbox prunes delivered changes, so what it recorded is copied, as it is recorded, into
 * a log table of this test's own (a trigger on this domain's rows only, dropped afterwards).
 */
describe('realtime export across worker kills', function () {
  this.timeout(10 * 60_000);
  const domain = 'rtrestart';
  const jobId = 'live';
  const LOG = 'test_rtrestart_outbox_log';
  let sys: TestSystem;
  let worker: ChildProcess | undefined;
  let admin: string;
  let workDir: string;
  let out: string;

  before(async () => {
    sys = await startSystem({ inProcessWorker: false, retryIntervalMs: 1_000 });
    admin = await sys.token('domain_admin', domain);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-rtrestart-spool-'));
    out = path.join(sys.areaOf(domain), 'out');
    fs.mkdirSync(out);
    await sys.db.query(`drop table if exists ${LOG}`);
    await sys.db.query(`create table ${LOG} (id bigint primary key, section_id text not null, op text not null, row jsonb)`);
    await sys.db.query(`
      create or replace function ${LOG}_copy() returns trigger language plpgsql as $$
      begin
        insert into ${LOG} (id, section_id, op, row) values (new.id, new.section_id, new.op, new.row);
        return null;
      end $$`);
    await sys.db.query(`
      create trigger ${LOG}_copy after insert on sections_outbox for each row
        when (new.domain = '${domain}') execute function ${LOG}_copy()`);
  });
  after(async () => {
    if (sys) {
      // The job's schedule would go on ticking for the rest of the test run: remove the job.
      await sys.call(admin, 'DELETE', `/domains/${domain}/jobs/${jobId}`).catch(() => undefined);
      await sys.db.query(`drop trigger if exists ${LOG}_copy on sections_outbox`).catch(() => undefined);
      await sys.db.query(`drop function if exists ${LOG}_copy()`).catch(() => undefined);
      await sys.db.query(`drop table if exists ${LOG}`).catch(() => undefined);
    }
    worker?.kill('SIGKILL');
    await sys?.stop();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  /** A worker process with small runs (so a kill can land inside one) and a spool folder of its own. */
  const spawn = () => {
    worker = sys.spawnWorker({ EXPORT_MAX_CHANGES_PER_RUN: '3000', EXPORT_WORK_DIR: workDir });
  };
  const kill = async () => {
    const w = worker!;
    const exited = new Promise((r) => w.once('exit', r));
    w.kill('SIGKILL');
    await exited;
    worker = undefined;
  };
  const q = (sql: string) => sys.db.query(sql.replaceAll('$D', `'${domain}'`));
  const jobUuid = async () => (await sys.db.query<{ id: string }>('select id from jobs where domain = $1 and identifier = $2', [domain, jobId])).rows[0]!.id;
  const cursor = async () =>
    Number((await sys.db.query('select delivered_up_to from export_cursors where job_id = $1', [await jobUuid()])).rows[0].delivered_up_to);
  /** A run of the job that is extracting or delivering right now. */
  const runInFlight = () =>
    eventually(async () => {
      const { rows } = await sys.db.query<{ number: number; status: string }>(
        `select r.number, r.status from runs r join jobs j on j.id = r.job_id
         where j.domain = $1 and j.identifier = $2 and r.ended_at is null and r.status in ('extracting', 'delivering')`,
        [domain, jobId],
      );
      return rows[0];
    }, 'a realtime run in flight', 120_000);

  const failedRuns = async () =>
    Number((await sys.db.query(`select count(*) as n from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = $2 and r.status = 'failed'`,
      [domain, jobId])).rows[0].n);
  const runInFlightNow = async () =>
    (await sys.db.query(`select 1 from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = $2 and r.ended_at is null`, [domain, jobId])).rows[0];
  /** The batch files at the destination (dot files are deliveries in progress), by first change id. */
  const batchRanges = () =>
    fs.readdirSync(out).flatMap((f) => {
      const m = /^sections-live-changes-(\d+)-(\d+)\.csv$/.exec(f);
      return m ? [{ file: f, from: Number(m[1]), to: Number(m[2]) }] : [];
    }).sort((a, b) => a.from - b.from);

  it('delivers every change once, in order, with its values', async () => {
    // Sections that exist before the job: their creation is not a change the job sends.
    await q(`insert into sections (domain, section_id, course_code, title) select $D, 'OLD-' || i, 'OLD', 'before' from generate_series(1, 50) i`);
    spawn();
    // Creating a job asks its workflow for its view: wait for the worker to be up.
    await eventually(async () => {
      const created = await sys.call(admin, 'POST', `/domains/${domain}/jobs`, {
        id: jobId, name: 'Live sections', taskType: 'sectionsCsv', mode: 'realtime', direction: 'export', destinationUrl: `file://${out}/`,
        scheduling: { type: 'scheduled', timing: { kind: 'interval', everySeconds: 2 } },
      });
      if (created.status !== 201 && created.status !== 409) throw new Error(`${created.status} ${created.text}`);
      return true;
    }, 'the realtime job to be created', 120_000);
    const uuid = await jobUuid();
    const start = await cursor();

    // All along: the cursor never passes what is at the destination (read the cursor first:
    // files only ever appear). A cursor moved before its delivery shows up here.
    const ahead: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const c = await cursor().catch(() => undefined);
        let present: ReturnType<typeof batchRanges> | undefined;
        try {
          present = batchRanges();
        } catch {
          present = undefined; // the folder is away for a while
        }
        const delivered = Math.max(start, ...(present ?? []).map((b) => b.to));
        if (c !== undefined && present && c > delivered) ahead.push(`cursor ${c}, delivered up to ${delivered}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    try {
      // Wave 1: many new sections, then edits, each one statement.
      const seq = `lpad(i::text, 6, '0')`;
      await q(`insert into sections (domain, section_id, course_code, title, term, campus, capacity, enrolled)
               select $D, 'R-' || ${seq}, 'C' || (i % 97), 'Title ' || i, '2026FA', case when i % 2 = 0 then 'MAIN' else 'NORTH' end, i % 50, 0
               from generate_series(1, 12000) i`);
      await q(`update sections set enrolled = enrolled + 1 where domain = $D and section_id like 'R-%' and right(section_id, 1) in ('3', '6')`);
      await q(`update sections set title = 'before' where domain = $D and section_id like 'OLD-%' and right(section_id, 1) = '1'`); // no change of data
      await q(`update sections set title = 'Old edited' where domain = $D and section_id = 'OLD-2'`);

      // Kill 1: at a random point of a run that is extracting or delivering; changes while no worker runs.
      const killedIn: string[] = [];
      const inFlight = await runInFlight();
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      killedIn.push(`run ${inFlight.number} ${inFlight.status}`);
      await kill();
      await q(`delete from sections where domain = $D and section_id like 'R-%' and right(section_id, 1) = '7'`);
      await q(`update sections set section_id = 'K-' || substr(section_id, 3) where domain = $D and section_id like 'R-%' and right(section_id, 2) = '11'`);
      await q(`insert into sections (domain, section_id, course_code, title, campus) select $D, 'N-' || ${seq}, 'N', 'New ' || i, 'MAIN' from generate_series(1, 4000) i`);
      spawn();

      // Kill 2, at the worst moment: a batch is at the destination and its delivery not yet
      // recorded. The cursor's row is held, so the run waits there; the worker is killed, and
      // the next one must deliver that batch again under the same name, not a second time.
      await q(`update sections set capacity = 100 where domain = $D and section_id like 'N-%' and right(section_id, 1) = '5'`);
      for (let attempt = 0; ; attempt++) {
        assert.ok(attempt < 10, 'a run with changes to record never waited on the held cursor');
        const holder = await sys.db.connect();
        let window: { number: number; after: number; upTo: number } | undefined;
        try {
          await holder.query('begin');
          await holder.query('select 1 from export_cursors where job_id = $1 for update', [uuid]);
          const pid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid;
          await eventually(async () => (await sys.db.query('select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [pid])).rows[0],
            'a run waiting to record its delivery', 120_000);
          const { rows } = await sys.db.query(
            `select r.number, c.after_id, c.up_to_id from runs r join export_run_changes c on c.run_id = r.id
             where r.job_id = $1 and r.ended_at is null`, [uuid]);
          window = rows[0] && { number: rows[0].number, after: Number(rows[0].after_id), upTo: Number(rows[0].up_to_id) };
          if (window && window.upTo > window.after) {
            const name = `sections-live-changes-${window.after + 1}-${window.upTo}.csv`;
            assert.ok(fs.existsSync(path.join(out, name)), `run ${window.number} waits to record a delivery, but ${name} is not at the destination`);
            killedIn.push(`run ${window.number} between delivering ${name} and recording it`);
            await kill();
          }
        } finally {
          await holder.query('rollback').catch(() => undefined);
          holder.release();
        }
        if (!worker) break;
        // That run had nothing to send: let it finish, and hold the cursor again for the next one.
      }
      spawn();

      // An import through the API, on the same worker: 300 sections changed, 50 canceled (so deleted), 500 new.
      const feed = path.join(sys.areaOf(domain), 'feed.csv');
      const line = (id: string, i: number, status = 'active') => `${id},N,,Imported ${i},,2026FA,MAIN,${status},,,,,,`;
      fs.writeFileSync(feed, [SECTIONS_HEADER,
        ...Array.from({ length: 300 }, (_, k) => line(`N-${String(101 + k).padStart(6, '0')}`, 101 + k)),
        ...Array.from({ length: 50 }, (_, k) => line(`N-${String(401 + k).padStart(6, '0')}`, 401 + k, 'canceled')),
        ...Array.from({ length: 500 }, (_, k) => line(`I-${String(1 + k).padStart(6, '0')}`, 1 + k)),
      ].join('\n') + '\n');
      const created = await sys.call(admin, 'POST', `/domains/${domain}/jobs`, { id: 'feed', name: 'Feed', taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${feed}` });
      assert.equal(created.status, 201, created.text);
      // The worker just spawned may still be starting: runNow tries again on 503.
      await runNow(sys, admin, domain, 'feed');
      const imported = await eventually(async () => {
        const { rows } = await sys.db.query(
          `select r.status, r.inserted, r.updated, r.deleted, r.reason from runs r join jobs j on j.id = r.job_id
           where j.domain = $1 and j.identifier = 'feed' and r.ended_at is not null`, [domain]);
        return rows[0];
      }, 'the import to end', 180_000);
      assert.match(imported.status, /^completed/, imported.reason ?? '');
      assert.deepEqual([imported.inserted, imported.updated, imported.deleted].map(Number), [500, 300, 50]);

      // The destination disappears for a while: runs fail, the cursor stays; the job's retry delivers later.
      await eventually(async () => ((await cursor()) > 0 && !(await runInFlightNow()) ? true : undefined), 'a quiet moment', 120_000);
      const failedBefore = await failedRuns();
      fs.renameSync(out, `${out}.away`);
      await q(`update sections set room = 'first' where domain = $D and section_id = 'N-000001'`);
      await q(`update sections set room = 'second' where domain = $D and section_id = 'N-000001'`);
      await q(`delete from sections where domain = $D and section_id = 'N-000002'`);
      await q(`insert into sections (domain, section_id, course_code, title) values ($D, 'N-000002', 'N', 'Back again')`);
      await q(`delete from sections where domain = $D and section_id = 'OLD-3'`);
      await eventually(async () => ((await failedRuns()) > failedBefore ? true : undefined), 'a run to fail on the missing folder', 120_000);
      fs.renameSync(`${out}.away`, out);

      // Last wave, then everything must arrive.
      await q(`delete from sections where domain = $D and section_id like 'K-%'`);
      await q(`insert into sections (domain, section_id, course_code, title, instructor) values ($D, 'Z-1', 'Z', 'Last', 'Someone')`);
      const lastId = Number((await sys.db.query(`select max(id) as id from ${LOG}`)).rows[0].id);
      await eventually(async () => ((await cursor()) >= lastId ? true : undefined), 'every change to be delivered', 300_000);
      console.log(`      killed in: ${killedIn.join('; ')}`);
    } finally {
      watching = false;
      await watcher;
    }
    assert.deepEqual(ahead, [], 'the cursor passed changes that were not at the destination');

    const recorded = (await sys.db.query<{ id: string; section_id: string; op: string; row: Record<string, unknown> | null }>(
      `select id, section_id, op, row from ${LOG} order by id`)).rows;
    // What the domain's changes are, independently of the outbox: 12,000 inserts, 2,400 + 1
    // edits, 1,200 deletes, 120 key changes (a delete and an upsert each), 4,000 inserts,
    // 400 edits, an import's 500 inserts, 300 updates and 50 deletes, 5 single changes, 120 deletes and an insert.
    assert.equal(recorded.length, 12000 + 2400 + 1 + 1200 + 240 + 4000 + 400 + 850 + 5 + 121);
    assert.ok(Number(recorded[0]!.id) > start, 'changes before the job existed are not its own');
    assert.ok((await failedRuns()) >= 1, 'a run failed while the destination was away');

    // The batches: a chain of ranges from the job's start to its cursor, no gap, no overlap.
    const batches = batchRanges();
    const strays = fs.readdirSync(out).filter((f) => !f.startsWith('.') && !batches.some((b) => b.file === f));
    assert.deepEqual(strays, [], 'only batch files at the destination');
    assert.ok(batches.length >= 2, 'several batches');
    let expectedFrom = start + 1;
    for (const b of batches) {
      assert.equal(b.from, expectedFrom, `batch ${b.file} must start where the previous one ended`);
      assert.ok(b.to >= b.from);
      expectedFrom = b.to + 1;
    }
    assert.equal(expectedFrom - 1, await cursor());

    // Their rows, in order, are exactly the recorded changes: each once, operation and values.
    const lines = batches.flatMap((b) => {
      const [header, ...rest] = fs.readFileSync(path.join(out, b.file), 'utf8').trimEnd().split('\n');
      assert.equal(header, 'change_id,operation,section_id,course_code,section_number,title,instructor,term,campus,status,meeting_days,start_time,end_time,room,capacity,enrolled');
      return rest;
    });
    const fields = ['section_id', 'course_code', 'section_number', 'title', 'instructor', 'term', 'campus', 'status',
      'meeting_days', 'start_time', 'end_time', 'room', 'capacity', 'enrolled'];
    const expected = recorded.map((c) => [c.id, c.op, ...fields.map((f) =>
      c.op === 'delete' ? (f === 'section_id' ? c.section_id : '') : c.row![f] === null || c.row![f] === undefined ? '' : String(c.row![f]))].join(','));
    assert.equal(lines.length, expected.length, 'as many delivered changes as recorded');
    const firstDiff = lines.findIndex((l, i) => l !== expected[i]);
    assert.equal(firstDiff, -1, `delivered change #${firstDiff}: ${lines[firstDiff]} instead of ${expected[firstDiff]}`);

    // Replaying the delivered changes onto the sections that existed before the job gives the table as it is now.
    const replica = new Map<string, string | undefined>(Array.from({ length: 50 }, (_, i) => [`OLD-${i + 1}`, undefined]));
    for (const l of lines) {
      const [, op, id, ...values] = l.split(',');
      if (op === 'delete') assert.ok(replica.delete(id!), `a delete of ${id}, which is not there`);
      else replica.set(id!, [id, ...values].join(','));
    }
    const now = (await q(`select section_id, ${fields.map((f) => `coalesce(${f}::text, '')`).join(` || ',' || `)} as line from sections where domain = $D`)).rows;
    assert.deepEqual([...replica.keys()].sort(), now.map((r) => r.section_id).sort());
    for (const r of now) {
      const sent = replica.get(r.section_id);
      if (sent !== undefined) assert.equal(sent, r.line, r.section_id);
      else assert.match(r.section_id, /^OLD-/, `${r.section_id} was never sent`);
    }
  });
});
