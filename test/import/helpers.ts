import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CsvParser } from '../../io/import/csvParser';
import { recoverRaw } from '../../io/csvWriter';
import type { ReadOptions } from '../../io/safeFiles';
import { createJob as createSetupJob, runNow } from '../setup/jobs';
import { eventually, type TestSystem } from '../setup/system';

/** Helpers for the import suites: run a job on a file through the API and read what it left. */

export const fixture = (name: string) => path.resolve(__dirname, '../fixtures/import', name);

/** Reading the fixtures folder directly (unit tests of readers and sampling): an area of its own. */
export const fixtureRead: ReadOptions = { area: { domain: 'fixtures', folders: [path.resolve(__dirname, '../fixtures/import')] } };

/** Copies a fixture (or writes bytes) into the domain's file area. */
export function place(sys: TestSystem, domain: string, name: string, content?: Buffer | string): string {
  const target = path.join(sys.areaOf(domain), name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (content === undefined) fs.copyFileSync(fixture(name), target);
  else fs.writeFileSync(target, content);
  return target;
}

export interface RejectedRow {
  line: number;
  column: string;
  reason: string;
  raw: string;
}

export function parseCsv(text: string): string[][] {
  const p = new CsvParser(',', '"', 1 << 30);
  const out: string[][] = [];
  for (const item of [...p.push(text), ...p.end()]) {
    if (item.kind === 'error') throw new Error(`bad CSV at line ${item.line}: ${item.reason}`);
    out.push(item.fields);
  }
  return out;
}

let jobCounter = 0;

export interface RunOutcome {
  jobId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read freely in tests
  run: any;
  rejected: RejectedRow[];
}

/** Creates a job on `source`, runs it now and waits for run `runs` to end; returns the run and its rejected rows. */
export async function createJob(sys: TestSystem, token: string, domain: string, source: string, opts: { rules?: object; taskType?: string; id?: string } = {}): Promise<string> {
  const id = opts.id ?? `job-${++jobCounter}-${Date.now().toString(36)}`;
  await createSetupJob(sys, token, domain, {
    id, taskType: opts.taskType ?? 'sectionsCsv', mode: 'batch',
    sourceUrl: source.startsWith('file:') ? source : `file://${source}`, ...(opts.rules ? { rules: opts.rules } : {}),
  });
  return id;
}

export { runNow };

export async function waitForRun(sys: TestSystem, token: string, domain: string, id: string, n: number, timeoutMs = 90_000): Promise<RunOutcome> {
  const run = await eventually(async () => {
    const r = await sys.call(token, 'GET', `/domains/${domain}/jobs/${id}/runs/${n}`);
    return r.status === 200 && r.json.endedAt ? r.json : undefined;
  }, `run ${n} of ${id} to end`, timeoutMs);
  const csv = await sys.call(token, 'GET', `/domains/${domain}/jobs/${id}/runs/${n}/rejected.csv`);
  const [header, ...rows] = parseCsv(csv.text);
  if (header?.join(',') !== 'line,column,reason,raw') throw new Error(`unexpected rejected.csv header: ${csv.text.slice(0, 200)}`);
  // Read back raw, as the CSV writer documents: one leading quote removed where there is one.
  return { jobId: id, run, rejected: rows.map(([line, column, reason, raw]) => ({ line: Number(line), column: recoverRaw(column!), reason: recoverRaw(reason!), raw: recoverRaw(raw!) })) };
}

export async function importOnce(sys: TestSystem, token: string, domain: string, source: string, opts: { rules?: object; taskType?: string } = {}): Promise<RunOutcome> {
  const id = await createJob(sys, token, domain, source, opts);
  await runNow(sys, token, domain, id);
  return waitForRun(sys, token, domain, id, 1);
}

/**
 * SIGKILLs a process and its descendants: spawnWorker's child is the tsx launcher, and
 * the worker itself is its child, which killing the launcher alone leaves running.
 */
export function killTree(pid: number): void {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)]).toString().split('\n').filter(Boolean).map(Number);
  } catch {
    children = []; // pgrep exits 1 when there are none
  }
  for (const c of children) killTree(c);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
