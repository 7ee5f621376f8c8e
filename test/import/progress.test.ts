import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { registry } from '../../infra/metrics';
import { writeSectionsFile } from '../setup/sectionsFile';
import { startSystem, type TestSystem } from '../setup/system';
import { createJob, runNow, waitForRun } from './helpers';

/**
 * A running import's progress, as people see it: the run detail (API) shows rows and bytes
 * read of the file's total, the phase, the rate and when reading should end, moving as chunks
 * commit; the worker's metrics show the same while the run is in a phase, and nothing after.
 */
describe('import: progress of a running import', function () {
  this.timeout(300_000);
  let sys: TestSystem;
  let admin: string;
  const domain = 'progress';
  // Small chunks (each commit updates the progress) and a file that takes seconds to read.
  const rows = 300_000;
  before(async () => {
    sys = await startSystem({ settings: { IMPORT_CHUNK_ROWS: '10000' } });
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => {
    await sys?.stop();
  });

  /** The worker's jobflow_import_progress series for a run, by measure. */
  async function progressMetrics(job: string, run: number): Promise<Record<string, number>> {
    const metric = (await registry.getSingleMetric('jobflow_import_progress')?.get())?.values ?? [];
    const out: Record<string, number> = {};
    for (const v of metric) if (v.labels.domain === domain && v.labels.job === job && v.labels.run === String(run)) out[String(v.labels.measure)] = v.value;
    return out;
  }

  /** Runs the job once more and watches its run detail (and the worker's metrics) until it ends. */
  async function watchRun(id: string, n: number, size: number, logLine: RegExp, rows: number) {
    await runNow(sys, admin, domain, id);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read freely in tests
    const seen: any[] = [];
    const metricsSeen: Record<string, number>[] = [];
    for (const t0 = Date.now(); Date.now() - t0 < 240_000; await new Promise((res) => setTimeout(res, 50))) {
      const r = await sys.call(admin, 'GET', `/domains/${domain}/jobs/${id}/runs/${n}`);
      // 404 until the run workflow has recorded its start.
      if (r.status === 404) continue;
      assert.equal(r.status, 200, r.text);
      if (r.json.endedAt) {
        assert.equal(r.json.progress, null, 'an ended run shows no progress');
        break;
      }
      const p = r.json.progress;
      if (p?.phase === 'validating' && p.updatedAt && p.bytesRead < size) {
        seen.push(p);
        const m = await progressMetrics(id, n);
        if (m.rows_read) metricsSeen.push(m);
      }
    }
    const done = await waitForRun(sys, admin, domain, id, n);
    assert.equal(done.run.status, 'completed', done.run.reason);
    assert.equal(done.run.counters.read, rows);
    const logs = await sys.call(admin, 'GET', `/domains/${domain}/jobs/${id}/runs/${n}/logs`);
    assert.ok(logs.json.items.some((l: { message: string }) => logLine.test(l.message)), JSON.stringify(logs.json.items));

    // Mid-reading, figures that move and add up.
    const moving = seen.filter((p) => p.rowsRead > 0);
    assert.ok(moving.length >= 2, `progress seen mid-reading ${moving.length} time(s): ${JSON.stringify(seen.slice(0, 3))}`);
    const first = moving[0];
    const last = moving[moving.length - 1];
    assert.ok(last.rowsRead > first.rowsRead, `rows read moved: ${first.rowsRead} → ${last.rowsRead}`);
    for (const p of moving) {
      assert.equal(p.bytesTotal, size);
      assert.ok(p.bytesRead > 0 && p.bytesRead < size, `bytes read ${p.bytesRead} of ${size}`);
      assert.ok(p.rowsRead < rows);
      assert.equal(p.rowsRead % 10_000, 0, 'rows as of a committed chunk');
    }
    // A rate once there is a stretch to measure it over: a checkpoint 200 ms or more after the
    // first one is at least that long after the attempt began (on a quiet machine the first
    // chunks can all commit sooner, and then show no rate yet).
    const measured = moving.filter((x) => Date.parse(x.updatedAt) - Date.parse(first.updatedAt) >= 200);
    assert.ok(measured.length >= 1, `progress seen 200 ms or more after the first checkpoint: ${JSON.stringify(moving.map((x) => x.updatedAt))}`);
    for (const p of measured) {
      assert.ok(p.rowsPerSecond > 0, `rate ${p.rowsPerSecond}`);
      const ahead = Date.parse(p.readingEndsAt) - Date.parse(p.updatedAt);
      assert.ok(ahead > 0 && ahead < 600_000, `reading ends ${p.readingEndsAt}, soon after ${p.updatedAt}`);
    }
    // The bytes read follow the rows (the generated lines are much the same length).
    const share = last.bytesRead / size;
    assert.ok(Math.abs(share - last.rowsRead / rows) < 0.1, `bytes ${share.toFixed(3)} against rows ${(last.rowsRead / rows).toFixed(3)}`);

    // The worker's metrics: the same measures, live.
    assert.ok(metricsSeen.length >= 1, 'the worker exposed the progress while reading');
    const m = metricsSeen[metricsSeen.length - 1]!;
    assert.equal(m.bytes_total, size);
    assert.equal(m.phase_validating, 1);
    assert.ok(m.rows_read! > 0 && m.rows_read! <= rows);
    assert.ok(m.bytes_read! > 0 && m.bytes_read! <= size);
    assert.ok(m.rows_per_second! > 0);
    // Once the run has ended, its series are gone.
    assert.deepEqual(await progressMetrics(id, n), {});
  }

  const file = () => path.join(sys.areaOf(domain), 'many.csv');

  // A first load records its progress once a second (its rows commit only at the end): a file that
  // takes several seconds to read even on an idle machine, so the figures are seen to move.
  const firstLoadRows = 3 * rows;

  it('a first load (straight into the table): the run detail shows rows and bytes read of the total, the rate and an estimated end, and the metrics the same', async () => {
    await writeSectionsFile(file(), firstLoadRows);
    await createJob(sys, admin, domain, file(), { id: 'many' });
    await watchRun('many', 1, fs.statSync(file()).size, /straight into the table/, firstLoadRows);
  });

  it('a re-import (through the staging table): the same, from each committed chunk', async () => {
    await writeSectionsFile(file(), rows);
    await watchRun('many', 2, fs.statSync(file()).size, /through the staging table \(the domain already has rows\)/, rows);
  });
});
