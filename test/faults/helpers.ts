import path from 'node:path';
import { eventually, type TestSystem } from '../setup/system';
import { writeSectionsFile } from '../setup/sectionsFile';

/** Shared steps of the fault scenarios: a job on a generated file, its run's record, the rows it left. */

export async function jobOnGeneratedFile(
  sys: TestSystem, token: string, domain: string, id: string, rows: number, extra: Record<string, unknown> = {},
): Promise<void> {
  const file = path.join(sys.filesDir, `${id}.csv`);
  await writeSectionsFile(file, rows, `${id}-`);
  const res = await sys.call(token, 'POST', `/domains/${domain}/jobs`, { id, name: id, taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${file}`, ...extra });
  if (res.status !== 201) throw new Error(`create ${id}: ${res.status} ${res.text}`);
}

export async function runNow(sys: TestSystem, token: string, domain: string, id: string): Promise<void> {
  const res = await sys.call(token, 'POST', `/domains/${domain}/jobs/${id}/run`);
  if (res.status !== 202) throw new Error(`run ${id}: ${res.status} ${res.text}`);
}

/** The run's row in the run-history table (straight from PostgreSQL: the API may be down). */
export async function runRecord(sys: TestSystem, domain: string, id: string, n = 1) {
  const { rows } = await sys.db.query(
    `select r.* from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = $2 and r.number = $3`,
    [domain, id, n],
  );
  return rows[0] as { status: string; read: number; inserted: number; rejected: number; ended_at: Date | null; reason: string | null } | undefined;
}

export const waitForStatus = (sys: TestSystem, domain: string, id: string, statuses: string[], timeoutMs = 120_000) =>
  eventually(async () => {
    const r = await runRecord(sys, domain, id).catch(() => undefined);
    return r && statuses.includes(r.status) ? r : undefined;
  }, `run of ${id} in ${statuses.join('/')}`, timeoutMs);

export const waitForEnd = (sys: TestSystem, domain: string, id: string, timeoutMs = 600_000) =>
  eventually(async () => {
    const r = await runRecord(sys, domain, id).catch(() => undefined);
    return r?.ended_at ? r : undefined;
  }, `run of ${id} to end`, timeoutMs);

export async function rowsOf(sys: TestSystem, domain: string, prefix: string): Promise<{ total: number; distinct: number }> {
  const { rows } = await sys.db.query(
    `select count(*)::int as total, count(distinct section_id)::int as distinct from sections where domain = $1 and section_id like $2`,
    [domain, `${prefix}-%`],
  );
  return rows[0];
}

export async function runCount(sys: TestSystem, domain: string, id: string): Promise<number> {
  const { rows } = await sys.db.query(`select count(*)::int as n from runs r join jobs j on j.id = r.job_id where j.domain = $1 and j.identifier = $2`, [domain, id]);
  return rows[0].n;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
