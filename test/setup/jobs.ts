import type { TestSystem } from './system';

/** The two API steps most suites take: create a job (201 expected) and run it now (202 expected). */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read freely in tests
export async function createJob(sys: TestSystem, token: string, domain: string, body: { id: string } & Record<string, unknown>): Promise<any> {
  const res = await sys.call(token, 'POST', `/domains/${domain}/jobs`, { name: body.id, taskType: 'sectionsCsv', ...body });
  if (res.status !== 201) throw new Error(`creating job ${body.id}: ${res.status} ${res.text}`);
  return res.json;
}

export async function runNow(sys: TestSystem, token: string, domain: string, id: string): Promise<void> {
  const res = await sys.call(token, 'POST', `/domains/${domain}/jobs/${id}/run`);
  if (res.status !== 202) throw new Error(`run-now of ${id}: ${res.status} ${res.text}`);
}
