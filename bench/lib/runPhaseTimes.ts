import pg from 'pg';

export type PhaseSeconds = Record<'validating' | 'processing' | 'importing', number>;

/**
 * How long each phase of an import run took, from its record and log: a run is one activity
 * (activities/runPhases.ts), so its history no longer times the phases. Each phase ends with its
 * log line ("Validated …", "Processed: …", "Imported: …", written as it ends; the records'
 * processed_at and committed_at are their transactions' start times). A first load straight into
 * the table does it all while validating: it logs no other phase.
 */
export async function runPhaseSeconds(databaseUrl: string, domain: string, jobId: string, runNumber: number): Promise<PhaseSeconds> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ started: Date; validated: Date | null; processed: Date | null; imported: Date | null }>(
      `select r.started_at as started,
              (select max(l.at) from run_logs l where l.run_id = r.id and l.message like 'Validated %') as validated,
              (select max(l.at) from run_logs l where l.run_id = r.id and l.message like 'Processed: %') as processed,
              (select max(l.at) from run_logs l where l.run_id = r.id and l.message like 'Imported: %') as imported
       from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = $2 and r.number = $3`,
      [domain, jobId, runNumber],
    );
    const r = rows[0];
    if (!r) throw new Error(`no record of run ${runNumber} of ${domain}/${jobId}`);
    const s = (from: Date | null, to: Date | null) => (from && to ? Math.max(0, to.getTime() - from.getTime()) / 1000 : 0);
    return { validating: s(r.started, r.validated), processing: s(r.validated, r.processed), importing: s(r.processed, r.imported) };
  } finally {
    await db.end();
  }
}
