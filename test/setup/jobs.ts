import type { Config } from '../../infra/config';
import type { TestSystem } from './system';

/** The two API steps most suites take: create a job (201 expected) and run it now (202 expected). */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read freely in tests
export async function createJob(sys: TestSystem, token: string, domain: string, body: { id: string } & Record<string, unknown>): Promise<any> {
  const res = await sys.call(token, 'POST', `/domains/${domain}/jobs`, { name: body.id, taskType: 'sectionsCsv', ...body });
  if (res.status !== 201) throw new Error(`creating job ${body.id}: ${res.status} ${res.text}`);
  return res.json;
}

/**
 * Tries again on 503 "No worker answered", as a client honouring Retry-After would: a worker
 * process still starting takes a later try, and the unanswered request expired unapplied, so
 * trying again never runs the job twice.
 */
export async function runNow(sys: TestSystem, token: string, domain: string, id: string, tries = 6): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const res = await sys.call(token, 'POST', `/domains/${domain}/jobs/${id}/run`);
    if (res.status === 202) return;
    if (res.status !== 503 || res.json?.title !== 'No worker answered' || attempt >= tries) throw new Error(`run-now of ${id}: ${res.status} ${res.text}`);
  }
}

/** Saves an export job that differs only in its destination (for refusal tests); the raw answer. */
export function saveExportJob(sys: TestSystem, token: string, domain: string, id: string, destinationUrl: string) {
  return sys.call(token, 'POST', `/domains/${domain}/jobs`, { id, name: id, taskType: 'sectionsCsv', direction: 'export', mode: 'batch', destinationUrl });
}

/**
 * Tests of refused hosts change the hosts exports may reach (EXPORT_ALLOWED_HOSTS, the
 * config.exportAllowedHosts a system's API and worker read at each save and connection):
 * `set()` changes them, and the suite's list is put back after each test (or by `restore()`).
 */
export function allowedHostsOf(holder: () => { config: Pick<Config, 'exportAllowedHosts'> }): { set(hosts: string[]): void; restore(): void } {
  let saved: string[] | undefined;
  const kept = {
    set(hosts: string[]) {
      saved ??= holder().config.exportAllowedHosts;
      holder().config.exportAllowedHosts = hosts;
    },
    restore() {
      if (saved) holder().config.exportAllowedHosts = saved;
      saved = undefined;
    },
  };
  afterEach(() => kept.restore());
  return kept;
}
