import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { killTree, runNow, waitForRun } from './helpers';

/**
 * A worker process SIGKILLed in the middle of loading a large file, then a new one started:
 * the run resumes after its last committed chunk and ends with exactly the file's rows.
 */
describe('import: worker killed in the middle of a load', function () {
  this.timeout(600_000);
  let sys: TestSystem;
  let admin: string;
  const domain = 'crash';
  // Small chunks (a setting of the spawned worker) so the kill lands mid-validation.
  const chunk = 25_000;
  const rows = 300_000 + 123;
  before(async () => {
    sys = await startSystem({ inProcessWorker: false, settings: { IMPORT_CHUNK_ROWS: String(chunk) } });
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => {
    await sys?.stop();
  });

  function generate(file: string): void {
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'section_id,course_code,title,term,campus,status,meeting_days,start_time,end_time,room,capacity,enrolled\n');
    let text = '';
    for (let i = 0; i < rows; i++) {
      text += `S${i},C${i % 997},"Section ${i}, ""quoted""",2026FA,MAIN,active,MWF,09:00,09:50,R${i % 50},${i % 200},${i % 100}\n`;
      if (text.length > 1 << 20) {
        fs.writeSync(fd, text);
        text = '';
      }
    }
    fs.writeSync(fd, text);
    fs.closeSync(fd);
  }

  it('resumes validation after SIGKILL: exact row count, no duplicates', async () => {
    const file = path.join(sys.areaOf(domain), 'big.csv');
    generate(file);
    // A section from before: not a first load (which goes straight into the table), so validation stages in chunks.
    await sys.db.query(`insert into sections (domain, section_id, course_code) values ($1, 'before', 'C1')`, [domain]);
    // The job's creation needs a worker (it asks the job workflow for its view): the child's start-up is waited for.
    let worker = sys.spawnWorker();
    const id = 'big';
    await eventually(async () => {
      const created = await sys.call(admin, 'POST', `/domains/${domain}/jobs`, { id, name: id, taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${file}` });
      return created.status === 201 || created.status === 409 ? true : undefined;
    }, 'the job to be created once the worker is up', 120_000);
    await runNow(sys, admin, domain, id);

    // Kill once the first chunk is committed in staging and before validation ends.
    const staged = await eventually(async () => {
      const run = await sys.db.query(`select r.id, r.processed_at from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = $2`, [domain, id]);
      if (!run.rows[0]) return undefined;
      const n = await sys.db.query(`select count(*)::int as n from staging.run_${run.rows[0].id}`).catch(() => undefined);
      return n && n.rows[0].n >= chunk ? n.rows[0].n : undefined;
    }, 'the first committed chunk', 300_000);
    assert.ok(staged < rows, 'the kill must land before validation ends');
    const exited = new Promise((r) => worker.once('exit', r));
    killTree(worker.pid!);
    await exited;
    worker = sys.spawnWorker();

    const r = await waitForRun(sys, admin, domain, id, 1, 400_000);
    killTree(worker.pid!);
    assert.equal(r.run.status, 'completed', r.run.reason);
    assert.equal(r.run.counters.read, rows);
    assert.equal(r.run.counters.inserted, rows);
    const count = await sys.db.query(`select count(*)::int as n, count(distinct section_id)::int as d from sections where domain = $1`, [domain]);
    assert.deepEqual(count.rows[0], { n: rows + 1, d: rows + 1 });
    const logs = await sys.call(admin, 'GET', `/domains/${domain}/jobs/${id}/runs/1/logs`);
    assert.ok(logs.json.items.some((l: { message: string }) => /resumed after an interruption/.test(l.message)), logs.text);
    const usage = await sys.db.query(`select rows::int as n from monthly_usage where domain = $1`, [domain]);
    assert.deepEqual(usage.rows, [{ n: rows }]);
  });
});
