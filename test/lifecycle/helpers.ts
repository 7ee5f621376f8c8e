import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { jobScheduleId } from '../../contracts/workflowIds';
import { createJob } from '../setup/jobs';
import { eventually, type TestSystem } from '../setup/system';

/** Small builders and probes shared by the lifecycle suites. */

export const HEADER = 'section_id,course_code,section_number,title,instructor,term,campus,status,meeting_days,start_time,end_time,room,capacity,enrolled';
export const row = (id: string, over: { status?: string; days?: string; capacity?: string } = {}) =>
  `${id},BIO101,01,Biology,Ada Byron,2026FA,MAIN,${over.status ?? 'active'},${over.days ?? 'MWF'},09:00,09:50,SCI-101,${over.capacity ?? '30'},10`;
export const csv = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';

export const GOOD = csv(row('S-1'), row('S-2'));
/** An unknown day letter: the row goes in without its meeting, with a warning. */
export const WITH_WARNINGS = csv(row('W-1'), row('W-2', { days: 'MQ' }));
/** A key seen twice: the later row is rejected, the others go in. */
export const WITH_REJECTS = csv(row('P-1'), row('P-2'), row('P-1'));

/** Writes a file in a domain's area (sys.areaOf(domain)) and returns its path. */
export function writeFile(area: string, name: string, content: string): string {
  const file = path.join(area, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** Waits until `n` lock requests (held runs, queued gates) wait for the validating gate. */
export const waitForGateWaiters = (sys: TestSystem, n: number) =>
  eventually(async () => {
    const { rows } = await sys.db.query(`select count(*)::int as n from pg_locks where relation = 'rejected_rows'::regclass and not granted`);
    return rows[0].n >= n ? true : undefined;
  }, `${n} waiting at the validating gate`);

/**
 * Holds import runs in `validating` until released, so "during a run" is certain rather than
 * a race with a fast import: validating's first write (clearing the run's rejected rows)
 * waits for this lock, while reads of the table (the API's) go on. (A FIFO source did this
 * once; FIFOs are refused as sources now.) Taking a second gate while one is held queues it
 * behind the runs already waiting: releasing the first lets them through and holds the next.
 */
export async function holdValidating(sys: TestSystem): Promise<{ release(): Promise<void> }> {
  const client = await sys.db.connect();
  await client.query('begin');
  await client.query('lock table rejected_rows in exclusive mode');
  return {
    async release() {
      await client.query('rollback');
      client.release();
    },
  };
}

export interface JobBody {
  id: string;
  mode: 'batch' | 'realtime' | 'on-demand';
  sourceUrl?: string;
  scheduling?: unknown;
  active?: boolean;
  direction?: 'import' | 'export';
  destinationUrl?: string;
}

/** The API for one domain with one admin token. */
export function jobsApi(sys: TestSystem, token: string, domain: string) {
  const base = `/domains/${domain}/jobs`;
  const api = {
    create: (body: JobBody) => createJob(sys, token, domain, { ...body }),
    get: async (id: string) => (await sys.call(token, 'GET', `${base}/${id}`)).json,
    post: (id: string, action: string, body?: unknown) => sys.call(token, 'POST', `${base}/${id}/${action}`, body),
    /** Run records, oldest first. */
    async runs(id: string) {
      const res = await sys.call(token, 'GET', `${base}/${id}/runs?limit=200`);
      assert.equal(res.status, 200, `GET ${base}/${id}/runs: ${res.status} ${res.text}`);
      return [...res.json.items].reverse() as { number: number; trigger: string; attempt: number; status: string; reason: string | null; workflowId: string }[];
    },
    /** Waits until the job's state satisfies `ok`, and returns it. */
    waitFor: (id: string, ok: (job: any) => boolean, what: string, timeoutMs = 90_000) => // eslint-disable-line @typescript-eslint/no-explicit-any
      eventually(async () => {
        const job = await api.get(id);
        return ok(job) ? job : undefined;
      }, `${id}: ${what}`, timeoutMs),
    /** Waits until `n` runs have ended and none is running or queued. */
    waitForRuns: (id: string, n: number, timeoutMs?: number) =>
      api.waitFor(id, (j) => j.lastRuns.length >= Math.min(n, 5) && j.lastRuns[0]?.number >= n && !j.currentRun && !j.queuedRun, `${n} runs ended`, timeoutMs),
    waitForPhase: (id: string, phase: string) => api.waitFor(id, (j) => j.currentRun?.phase === phase, `a run in ${phase}`),
    schedule: (id: string) => sys.client.schedule.getHandle(jobScheduleId(domain, id)),
  };
  return api;
}

export const fileUrl = (file: string) => `file://${file}`;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
