import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { RunRef } from '../../activities';
import type { RunCounters } from '../../domain/runStatus';
import { startHarness, type ExportHarness } from '../export/fixtures';
import { writeSectionsFile } from '../setup/sectionsFile';

/**
 * Validation finished and committed, but Temporal never heard (the server restarted as the
 * activity completed), so it runs again, handed the heartbeat details it last received:
 * throttled, they can say "nothing read yet". The retry must find what the first attempt
 * committed, not empty the staged rows and skip the file as read (the run then imported
 * nothing and reported a header-only file: found by the Temporal-restart fault test).
 */
describe('import: validation retried after it had finished', function () {
  this.timeout(120_000);
  let h: ExportHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.stop());

  const env = (attempt: number, heartbeatDetails?: unknown) =>
    new MockActivityEnvironment({ attempt, heartbeatDetails }, { logger: new DefaultLogger('ERROR') });

  it('keeps the staged rows and the counters, and the run imports every row once', async () => {
    const domain = `r${crypto.randomBytes(4).toString('hex')}`;
    // A section from before: not a first load, so the rows go through the staging table.
    await h.pool.query(`insert into sections (domain, section_id, course_code) values ($1, 'before', 'C1')`, [domain]);
    const file = path.join(h.areaOf(domain), `${domain}.csv`);
    const rows = 1_000;
    await writeSectionsFile(file, rows, `${domain}-`);
    await h.pool.query(
      `insert into jobs (id, domain, identifier, name, task_type, direction, mode, rules, source_url)
       values ($1, $2, 'retried', 'Retried', 'sectionsCsv', 'import', 'batch', '{}', $3)`,
      [crypto.randomUUID(), domain, `file://${file}`],
    );
    const ref: RunRef = { domain, jobId: 'retried', runNumber: 1 };
    await h.activities.recordRunStart({ ...ref, trigger: 'manual', attempt: 1 });
    const { rows: [run] } = await h.pool.query<{ id: string }>(`select r.id from runs r where r.domain = $1`, [domain]);

    const first: RunCounters = await env(1).run(h.activities.validateImport, ref);
    assert.equal(first.read, rows);
    // What the retry is handed: the first heartbeat's details, from before any chunk committed.
    const stale = { runId: String(run!.id), directory: false, fileIndex: 0, line: 0, read: 0, rejected: 0, warningsByKind: {} };
    const again: RunCounters = await env(2, stale).run(h.activities.validateImport, ref);
    assert.equal(again.read, rows);
    assert.equal(again.warnings, 0);
    const staged = await h.pool.query(`select count(*)::int as n from staging.run_${run!.id}`);
    assert.equal(staged.rows[0].n, rows);

    await env(1).run(h.activities.processImport, ref);
    const loaded: RunCounters = await env(1).run(h.activities.loadImport, ref);
    assert.equal(loaded.inserted, rows);
    const inTable = await h.pool.query(`select count(*)::int as n, count(distinct section_id)::int as d from sections where domain = $1`, [domain]);
    assert.deepEqual(inTable.rows[0], { n: rows + 1, d: rows + 1 });
  });

  it('a first load (straight into the table) retried after it had finished: the rows and the month\'s usage once', async () => {
    const domain = `r${crypto.randomBytes(4).toString('hex')}`;
    const file = path.join(h.areaOf(domain), `${domain}.csv`);
    const rows = 1_000;
    await writeSectionsFile(file, rows, `${domain}-`);
    await h.pool.query(
      `insert into jobs (id, domain, identifier, name, task_type, direction, mode, rules, source_url)
       values ($1, $2, 'retried', 'Retried', 'sectionsCsv', 'import', 'batch', '{}', $3)`,
      [crypto.randomUUID(), domain, `file://${file}`],
    );
    const ref: RunRef = { domain, jobId: 'retried', runNumber: 1 };
    await h.activities.recordRunStart({ ...ref, trigger: 'manual', attempt: 1 });
    const first: RunCounters = await env(1).run(h.activities.validateImport, ref);
    assert.deepEqual([first.read, first.inserted], [rows, rows]);
    const again: RunCounters = await env(2, { phase: 'validating', direct: true, read: 0 }).run(h.activities.validateImport, ref);
    assert.deepEqual([again.read, again.inserted], [rows, rows]);
    assert.equal(((await env(1).run(h.activities.processImport, ref)) as RunCounters).inserted, rows);
    assert.equal(((await env(1).run(h.activities.loadImport, ref)) as RunCounters).inserted, rows);
    const inTable = await h.pool.query(`select count(*)::int as n, count(distinct section_id)::int as d from sections where domain = $1`, [domain]);
    assert.deepEqual(inTable.rows[0], { n: rows, d: rows });
    const usage = await h.pool.query(`select rows from monthly_usage where domain = $1`, [domain]);
    assert.equal(Number(usage.rows[0].rows), rows);
    const staging = await h.pool.query(`select to_regclass('staging.run_' || (select id from runs where domain = $1)) as t`, [domain]);
    assert.equal(staging.rows[0].t, null, 'no staging table');
  });
});
