import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { FAILED_TYPES, HALTED_TYPES } from '../../domain/failures';
import type { RunCounters } from '../../domain/runStatus';
import type { ActivityDeps, RunRef } from '../deps';
import { appendLog, countersOf, findRun } from '../runRecords';
import { loadSecret, SecretUnreadableError, type SecretKind } from '../secrets';
import { deliver, redactUrl } from './destinations';
import { extractToFile } from './extract';
import { exportRulesSchema, exportSpecOf } from './exportTypes';

/**
 * The two phases of an export run (PRODUCT.md, Statuses): extracting streams the rows from
 * PostgreSQL, rendered, into the run's spool file; delivering sends that file to the
 * destination. Counters: `read` is the rows extracted, `inserted` the rows delivered (set
 * only once the destination has the whole file), and `runs.bytes_delivered` its size.
 * A delivered run is marked committed, so a retried delivery never sends it twice.
 */

/** Where spool files live until delivered (EXPORT_WORK_DIR, else the system temp dir). */
export const exportWorkDir = () => process.env.EXPORT_WORK_DIR ?? path.join(os.tmpdir(), 'jobflow-export');

const spoolFile = (runId: string) => path.join(exportWorkDir(), `run_${runId}.csv`);

export function exportActivities({ orm, pool, config }: ActivityDeps) {
  const load = async (ref: RunRef) => {
    const em = orm.em.fork();
    const { job, run } = await findRun(em, ref);
    const spec = exportSpecOf(job.taskType);
    if (!spec) {
      throw ApplicationFailure.nonRetryable(`Exports of ${job.taskType} are not available.`, HALTED_TYPES.mappingMismatch);
    }
    const parsed = exportRulesSchema.safeParse(job.rules ?? {});
    if (!parsed.success) {
      throw ApplicationFailure.nonRetryable(`The job's rules are not valid for an export: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, HALTED_TYPES.mappingMismatch);
    }
    return { em, job, run, spec, rules: parsed.data };
  };

  async function extract(ref: RunRef) {
    const { em, job, run, spec, rules } = await load(ref);
    await fsp.mkdir(exportWorkDir(), { recursive: true });
    const file = spoolFile(run.id);
    const started = Date.now();
    const result = await extractToFile(pool, spec, job.domain, rules, file, (bytes) => heartbeat({ phase: 'extracting', bytes }));
    await pool.query('update runs set read = $2 where id = $1', [run.id, result.rows]);
    await em.refresh(run);
    const filters = Object.keys(spec.descriptor.filters)
      .filter((r) => rules[r as keyof typeof rules])
      .map((r) => `${r} ${JSON.stringify(rules[r as keyof typeof rules])}`);
    await appendLog(em, run.id, 'info',
      `Extracted ${result.rows} rows (${result.bytes} bytes) from ${spec.taskType.table}${filters.length ? ` where ${filters.join(' and ')}` : ''} in ${Date.now() - started} ms.`);
    return { em, job, run, file, ...result };
  }

  return {
    /** Phase `extracting`: the run's rows into its spool file; returns the counters (read). */
    async extractExport(ref: RunRef): Promise<RunCounters> {
      const { em, run } = await load(ref);
      if (run.committedAt) return countersOf(run);
      run.status = 'extracting';
      await em.flush();
      const extracted = await extract(ref);
      return countersOf(extracted.run);
    },

    /** Phase `delivering`: the spool file to the destination, complete or not at all. */
    async deliverExport(ref: RunRef): Promise<RunCounters> {
      const loaded = await load(ref);
      if (loaded.run.committedAt) return countersOf(loaded.run);
      loaded.run.status = 'delivering';
      await loaded.em.flush();
      const { em, job, run } = loaded;
      if (!job.destinationUrl) {
        throw ApplicationFailure.nonRetryable('The job has no destination URL.', FAILED_TYPES.destinationUnavailable);
      }
      let file = spoolFile(run.id);
      let bytes = await fsp.stat(file).then((s) => s.size, () => -1);
      if (bytes < 0) {
        // Another worker extracted, or the spool was cleared: extract again (one snapshot, same rows).
        await appendLog(em, run.id, 'info', 'The extracted file is not on this worker; extracting again.');
        const again = await extract(ref);
        file = again.file;
        bytes = again.bytes;
      }
      await em.refresh(run);
      const where = redactUrl(job.destinationUrl);
      await appendLog(em, run.id, 'info', `Delivering ${run.read} rows (${bytes} bytes) to ${where}.`);
      const spec = exportSpecOf(job.taskType)!;
      try {
        const delivered = await deliver({
          file,
          bytes,
          url: job.destinationUrl,
          fileName: `${spec.descriptor.fileStem}-${job.identifier}-run${ref.runNumber}.csv`,
          deliveryId: `jobflow-${job.domain}-${job.identifier}-${ref.runNumber}`,
          fileRoots: config.fileRoots,
          progress: (sent) => heartbeat({ phase: 'delivering', bytes: sent }),
          secret: async (kind: SecretKind) => {
            try {
              return await loadSecret(pool, job.id, kind);
            } catch (e) {
              if (e instanceof SecretUnreadableError) throw ApplicationFailure.nonRetryable(e.message, HALTED_TYPES.credentialsRefused);
              throw e;
            }
          },
        });
        await pool.query('update runs set inserted = read, bytes_delivered = $2, committed_at = now() where id = $1', [run.id, bytes]);
        await em.refresh(run);
        await appendLog(em, run.id, 'info',
          `Delivered ${run.inserted} rows (${bytes} bytes) to ${delivered.where}${delivered.response ? `; the destination answered ${delivered.response}` : ''}.`);
        await fsp.rm(file, { force: true });
        return countersOf(run);
      } catch (e) {
        if (e instanceof ApplicationFailure) await appendLog(em, run.id, 'error', `Delivery failed: ${e.message}`);
        // A failed run is retried as a new run, which extracts afresh.
        if (e instanceof ApplicationFailure && e.nonRetryable) await fsp.rm(file, { force: true });
        throw e;
      }
    },
  };
}
