import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../infra/config';

/**
 * `npm run demo` (with `npm start` running): copies the sample file into domain demo's file
 * area, creates an import job for it, runs it now, waits for the run, and prints what the API reports.
 */
async function main() {
  const config = loadConfig();
  const api = config.API_URL ?? `http://${config.API_HOST}:${config.API_PORT}`;
  const token = config.TOKEN ?? fs.readFileSync(path.join(config.DATA_DIR, 'admin-token'), 'utf8').trim();
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(api + url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (res.status === 204 ? null : await res.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    return { status: res.status, json };
  };

  // A domain reads only its own area of the file roots: the sample goes into demo's (<root>/demo/).
  const area = path.join(config.fileRoots[0] ?? path.resolve('data/files'), 'demo');
  fs.mkdirSync(area, { recursive: true, mode: 0o700 });
  const sample = path.join(area, 'sections.csv');
  fs.copyFileSync(path.resolve('samples/sections.csv'), sample);
  const created = await call('POST', '/domains/demo/jobs', {
    id: 'sections-import',
    name: 'Sections from the SIS (sample file)',
    description: 'The sample sectionsCsv file shipped with jobflow',
    taskType: 'sectionsCsv',
    mode: 'batch',
    sourceUrl: `file://${sample}`,
  });
  if (created.status !== 201 && created.status !== 409) throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
  console.log(created.status === 201 ? 'Created job demo/sections-import.' : 'Job demo/sections-import exists; running it again.');

  const before = (await call('GET', '/domains/demo/jobs/sections-import')).json.lastRuns.length;
  const run = await call('POST', '/domains/demo/jobs/sections-import/run');
  console.log(`Run now: ${run.status} ${JSON.stringify(run.json)}`);
  for (let i = 0; i < 120; i++) {
    const { json } = await call('GET', '/domains/demo/jobs/sections-import');
    if (json.lastRuns.length > before && !json.currentRun) {
      const last = json.lastRuns[0];
      console.log(`Job status: ${json.status}; last run #${last.number}: ${last.outcome}`);
      console.log('Counters:', last.counters);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('The run did not finish within a minute; see Temporal Web.');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
