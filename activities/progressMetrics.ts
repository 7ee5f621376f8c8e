import { importProgress, type ReadMarks } from '../domain/importProgress';
import { IMPORT_PHASES } from '../domain/runStatus';
import { importProgressGauge } from '../infra/metrics';
import type { RunRef } from '../contracts/workflowIds';

const MEASURES = ['rows_read', 'bytes_read', 'bytes_total', 'rows_per_second', 'reading_ends_seconds', ...IMPORT_PHASES.map((p) => `phase_${p}`)];

/**
 * The worker's view of a running import phase, on its /metrics: the same figures as the run
 * detail (GET .../runs/:n progress), from the live heartbeat rather than the last commit.
 * `done()` removes the run's series when the phase's activity ends, however it ends.
 */
export function importProgressMetrics(ref: RunRef, phase: string) {
  const labels = { domain: ref.domain, job: ref.jobId, run: String(ref.runNumber) };
  const set = (measure: string, v: number | null) => {
    if (v === null) importProgressGauge.remove({ ...labels, measure });
    else importProgressGauge.set({ ...labels, measure }, v);
  };
  return {
    show(marks: ReadMarks | null | undefined, read: number) {
      const p = importProgress(phase, marks, read);
      set(`phase_${phase}`, 1);
      set('rows_read', p.rowsRead);
      set('bytes_read', p.bytesRead);
      set('bytes_total', p.bytesTotal);
      set('rows_per_second', p.rowsPerSecond);
      set('reading_ends_seconds', p.readingEndsAt ? Date.parse(p.readingEndsAt) / 1000 : null);
    },
    done() {
      for (const measure of MEASURES) importProgressGauge.remove({ ...labels, measure });
    },
  };
}
