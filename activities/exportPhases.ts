import path from 'node:path';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { FAILED_TYPES, HALTED_TYPES } from '../domain/failures';
import type { RunCounters } from '../domain/runStatus';
import { ensurePrivateFolder, fileAreaOf, removeFile, statInArea, type FileArea } from '../io/safeFiles';
import type { RunRef } from '../contracts/workflowIds';
import type { ActivityConfig, ActivityDeps } from './deps';
import { appendLog, countersOf, findRun } from './runRecords';
import { loadSecret, secretsKey, SecretUnreadableError, type SecretKind } from '../io/secrets';
import { deliver, redactUrl, type DeliveryOptions } from '../io/export/destinations';
import { extractToFile } from '../io/export/extract';
import { exportRulesSchema, exportSpecOf, realtimeOutboxes } from '../io/export/exportTypes';
import { advanceCursor, batchName, claimChanges, pruneDelivered, writeChangesFile, type ChangeRange } from '../io/export/realtime';
import { inTransaction } from '../db/transaction';
import { JobFailure } from '../io/jobFailure';
import { outboxOf } from '../taskTypes/changeCapture';

/**
 * The two phases of an export run (PRODUCT.md, Statuses): extracting streams the rows from
 * PostgreSQL, rendered, into the run's spool file; delivering sends that file to the
 * destination. A batch job's run carries the whole filtered table; a realtime job's run
 * carries the changes since its last delivered one (realtime.ts).
 *
 * Counters: `read` is the rows (or changes) extracted, `inserted` the rows delivered, set
 * only once the destination has the whole file, and `runs.bytes_delivered` the file's
 * size. A delivered run is marked committed in the transaction that moves a realtime job's
 * cursor, so a retried delivery never sends a run's rows twice.
 */

/** How deliveries connect, from the EXPORT_* settings. */
const deliveryOptions = (config: ActivityConfig): DeliveryOptions => ({
  allowedHosts: config.exportAllowedHosts,
  caFile: config.EXPORT_CA_FILE,
  httpTimeoutMs: config.EXPORT_HTTP_TIMEOUT_MS,
  ftpTimeoutMs: config.EXPORT_FTP_TIMEOUT_MS,
});

export function exportActivities({ orm, pool, config }: ActivityDeps) {
  // Spool files live in EXPORT_WORK_DIR until delivered, and are read back only from there.
  const spoolFile = (runId: string) => path.join(config.exportWorkDir, `run_${runId}.csv`);
  const workArea = (): FileArea => ({ domain: 'export work folder', folders: [config.exportWorkDir] });

  const load = async (ref: RunRef) => {
    const em = orm.em.fork();
    const { job, run } = await findRun(em, ref);
    const spec = exportSpecOf(job.taskType);
    if (!spec) {
      throw ApplicationFailure.nonRetryable(`Exports of ${job.taskType} are not available.`, HALTED_TYPES.mappingMismatch);
    }
    const parsed = exportRulesSchema.safeParse(job.rules ?? {});
    if (!parsed.success) {
      throw ApplicationFailure.nonRetryable(
        `The job's rules are not valid for an export: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        HALTED_TYPES.mappingMismatch,
      );
    }
    const realtime = job.mode === 'realtime';
    if (realtime && !spec.descriptor.realtime) {
      throw ApplicationFailure.nonRetryable(`Realtime exports of ${job.taskType} are not available; export it in batches.`, HALTED_TYPES.mappingMismatch);
    }
    return { em, job, run, spec, rules: parsed.data, realtime };
  };
  type Loaded = Awaited<ReturnType<typeof load>>;

  /** Writes the run's spool file (the table, or the run's range of changes). */
  async function extract({ em, job, run, spec, rules, realtime }: Loaded) {
    await ensurePrivateFolder(config.exportWorkDir);
    const file = spoolFile(run.id);
    const started = Date.now();
    let range: ChangeRange | undefined;
    let result: { rows: number; bytes: number };
    if (realtime) {
      range = await claimChanges(pool, outboxOf(spec.taskType), job.id, job.domain, run.id, config.EXPORT_MAX_CHANGES_PER_RUN);
      result = await writeChangesFile(pool, spec, job.domain, rules, range, file, (rows) => heartbeat({ phase: 'extracting', rows }));
    } else {
      result = await extractToFile(pool, spec, job.domain, rules, file, (bytes) => heartbeat({ phase: 'extracting', bytes }));
    }
    await pool.query('update runs set read = $2 where id = $1', [run.id, result.rows]);
    await em.refresh(run);
    const filters = Object.keys(spec.descriptor.filters)
      .filter((r) => rules[r as keyof typeof rules])
      .map((r) => `${r} ${JSON.stringify(rules[r as keyof typeof rules])}`);
    const what = range
      ? `${result.rows} changes (ids ${BigInt(range.afterId) + 1n} to ${range.upToId})`
      : `${result.rows} rows`;
    await appendLog(em, run.id, 'info',
      `Extracted ${what} (${result.bytes} bytes) from ${spec.taskType.table}${filters.length ? ` where ${filters.join(' and ')}` : ''} in ${Date.now() - started} ms.`);
    return { file, range, ...result };
  }

  const secretLoader = (jobUuid: string) => async (kind: SecretKind) => {
    try {
      return await loadSecret(pool, secretsKey(config.SECRETS_KEY), jobUuid, kind);
    } catch (e) {
      if (e instanceof SecretUnreadableError) throw ApplicationFailure.nonRetryable(e.message, HALTED_TYPES.credentialsRefused);
      throw e;
    }
  };

  return {
    /** Phase `extracting`: the run's rows into its spool file; returns the counters (read). */
    async extractExport(ref: RunRef): Promise<RunCounters> {
      const loaded = await load(ref);
      if (loaded.run.committedAt) return countersOf(loaded.run);
      loaded.run.status = 'extracting';
      await loaded.em.flush();
      await extract(loaded);
      return countersOf(loaded.run);
    },

    /** Phase `delivering`: the spool file to the destination, complete or not at all. */
    async deliverExport(ref: RunRef): Promise<RunCounters> {
      const loaded = await load(ref);
      const { em, job, run, spec, realtime } = loaded;
      if (run.committedAt) return countersOf(run);
      run.status = 'delivering';
      await em.flush();
      if (!job.destinationUrl) {
        throw ApplicationFailure.nonRetryable('The job has no destination URL.', FAILED_TYPES.destinationUnavailable);
      }
      const range = realtime ? await claimChanges(pool, outboxOf(spec.taskType), job.id, job.domain, run.id, config.EXPORT_MAX_CHANGES_PER_RUN) : undefined;
      const markDelivered = (bytes: number) =>
        inTransaction(pool, async (db) => {
          if (range && !(await advanceCursor(db, job.id, range))) {
            throw new Error(`Another run delivered changes of ${job.domain}/${job.identifier} meanwhile; this run's changes are left to it.`);
          }
          if (range) await pruneDelivered(db, outboxOf(spec.taskType), job.domain, realtimeOutboxes(), config.EXPORT_MAX_CHANGES_PER_RUN);
          await db.query('update runs set inserted = read, bytes_delivered = $2, committed_at = now() where id = $1', [run.id, bytes]);
        });

      if (range && range.afterId === range.upToId) {
        await markDelivered(0);
        await em.refresh(run);
        await appendLog(em, run.id, 'info', 'No new changes: nothing to deliver.');
        return countersOf(run);
      }

      let file = spoolFile(run.id);
      let bytes = (await statInArea(file, workArea()).catch(() => undefined))?.stat.size ?? -1;
      if (bytes < 0) {
        // Extracted on another worker, or the spool was cleared: extract again (the same rows or changes).
        await appendLog(em, run.id, 'info', 'The extracted file is not on this worker; extracting again.');
        const again = await extract(loaded);
        file = again.file;
        bytes = again.bytes;
      }
      await em.refresh(run);
      const where = redactUrl(job.destinationUrl);
      await appendLog(em, run.id, 'info', `Delivering ${run.read} ${range ? 'changes' : 'rows'} (${bytes} bytes) to ${where}.`);
      const batch = range ? `-changes-${BigInt(range.afterId) + 1n}-${range.upToId}` : `-${ref.runNumber}`;
      try {
        const delivered = await deliver({
          file,
          bytes,
          url: job.destinationUrl,
          fileName: range ? `${spec.descriptor.fileStem}-${job.identifier}.csv` : `${spec.descriptor.fileStem}-${job.identifier}-run${ref.runNumber}.${spec.taskType.format}`,
          contentType: spec.taskType.format === 'xml' ? 'application/xml; charset=utf-8' : 'text/csv; charset=utf-8',
          nameFor: range ? (name) => batchName(name, range) : undefined,
          deliveryId: `jobflow-${job.domain}-${job.identifier}${batch}`,
          area: fileAreaOf(job.domain, config.fileRoots, config.fileAreas),
          workArea: workArea(),
          progress: (sent) => heartbeat({ phase: 'delivering', bytes: sent }),
          secret: secretLoader(job.id),
        }, deliveryOptions(config));
        await markDelivered(bytes);
        await em.refresh(run);
        await appendLog(em, run.id, 'info',
          `Delivered ${run.inserted} ${range ? 'changes' : 'rows'} (${bytes} bytes) to ${delivered.where}${delivered.response ? `; the destination answered ${delivered.response}` : ''}.`);
        await removeFile(file);
        return countersOf(run);
      } catch (e) {
        if (e instanceof JobFailure) await appendLog(em, run.id, 'error', `Delivery failed: ${e.message}`);
        // A failed run is retried as a new run, which extracts afresh.
        if (e instanceof JobFailure && e.nonRetryable) await removeFile(file);
        throw e;
      }
    },
  };
}
