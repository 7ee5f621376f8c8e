import path from 'node:path';
import { startApi } from '../../api/server';
import type { AuthFailureLimit } from '../../api/http/auth';
import { apiClient, type ApiCall } from '../setup/apiClient';
import { startSystem, type TestSystem } from '../setup/system';

/**
 * The real system (worker, Temporal, PostgreSQL) with an API of the suite's own, so a suite
 * can set the failed-authentication limit (the access matrix sends many token-less requests).
 */
export interface ApiSystem {
  sys: TestSystem;
  url: string;
  call: ApiCall;
  stop(): Promise<void>;
}

export async function startApiSystem(authFailureLimit: AuthFailureLimit = { max: 10_000, windowMs: 60_000 }): Promise<ApiSystem> {
  const sys = await startSystem();
  const api = await startApi({ orm: sys.orm, temporal: sys.client, config: apiConfig(sys), authFailureLimit }, '127.0.0.1', 0);
  return {
    sys,
    url: api.url,
    call: apiClient(api.url),
    async stop() {
      await api.close();
      await sys.stop();
    },
  };
}

export const sampleCsv = path.resolve('samples/sections.csv');

/**
 * The system's settings for an API of a suite's own. These suites test the API, not file
 * areas (test/import/fileAreas.test.ts does): every domain is granted the samples folder, so
 * batchJob's source passes the path guard, which stays on as in production.
 */
export function apiConfig(sys: TestSystem): TestSystem['config'] {
  const samples = path.dirname(sampleCsv);
  const everyDomain = new Proxy({}, { get: (_, domain) => (typeof domain === 'string' ? [samples] : undefined) });
  return { ...sys.config, fileAreas: everyDomain };
}

export const batchJob = (id: string, extra: Record<string, unknown> = {}) => ({
  id, name: `Job ${id}`, taskType: 'sectionsCsv', mode: 'batch', sourceUrl: `file://${sampleCsv}`, ...extra,
});
