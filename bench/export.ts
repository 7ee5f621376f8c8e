import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { exportSelect, extractToFile } from '../io/export/extract';
import { exportSpecOf } from '../io/export/exportTypes';
import { migrate, openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { ensurePostgres, recreateDatabase, withDatabase } from '../infra/postgres';

/**
 * npm run bench:export — 1,000,000 sections to a CSV file: our extraction and rendering
 * (io/export/extract.ts) against `psql -c "\copy (SELECT ...) TO file"` of the same
 * SELECT, in the same run, on the same database. Prints both times, the ratio, whether the
 * two files are identical, and our peak RSS (sampled while extracting, and the process max).
 *
 * BENCH_ROWS changes the row count; DATABASE_URL picks the server as everywhere else.
 */

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const DOMAIN = 'bench';

async function main() {
  const config = loadConfig();
  const server = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  const url = withDatabase(server.url, 'jobflow_bench_export');
  await recreateDatabase(withDatabase(server.url, 'postgres'), 'jobflow_bench_export');
  const orm = await openOrm(url);
  await migrate(orm, config);
  await orm.close();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-bench-export-'));
  try {
    let t = Date.now();
    // Realistic widths, and some values that need quoting or formula escaping.
    await pool.query(
      `insert into sections (domain, section_id, course_code, section_number, title, instructor, term, campus, status,
                             meeting_days, start_time, end_time, room, capacity, enrolled)
       select $1, 'S' || lpad(i::text, 8, '0'), 'C' || (i % 5000), lpad((i % 30)::text, 2, '0'),
              case when i % 97 = 0 then '=SUM(A1:A' || i || ')' when i % 13 = 0 then 'Topics, "special" ' || i else 'Course title number ' || i end,
              'Instructor ' || (i % 2000), case when i % 2 = 0 then '2026FA' else '2026SP' end, (array['MAIN','NORTH','SOUTH'])[1 + i % 3],
              case when i % 50 = 0 then 'canceled' else 'active' end, (array['MWF','TR','M',null])[1 + i % 4],
              case when i % 4 = 3 then null else '09:00' end, case when i % 4 = 3 then null else '09:50' end,
              case when i % 10 = 0 then null else 'RM-' || (i % 700) end, 20 + i % 200, i % 180
       from generate_series(1, $2) as i`,
      [DOMAIN, ROWS],
    );
    await pool.query('analyze sections');
    console.log(`Seeded ${ROWS.toLocaleString('en')} sections in ${((Date.now() - t) / 1000).toFixed(1)} s.`);

    const spec = exportSpecOf('sectionsCsv')!;
    // escapeLiteral needs no connection.
    const select = exportSelect(new pg.Client(), spec, DOMAIN, {});
    const psqlFile = path.join(dir, 'psql.csv');
    const oursFile = path.join(dir, 'ours.csv');

    const psql = () => {
      const start = process.hrtime.bigint();
      execFileSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy (${select}) to '${psqlFile}' with (format csv, header true)`], { stdio: 'inherit' });
      return Number(process.hrtime.bigint() - start) / 1e9;
    };
    let peakRss = process.memoryUsage().rss;
    const rssBefore = peakRss;
    const ours = async () => {
      const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
      const start = process.hrtime.bigint();
      const result = await extractToFile(pool, spec, DOMAIN, {}, oursFile);
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      clearInterval(sampler);
      return { secs, ...result };
    };

    // Alternate, twice each; the best time of each counts (a busy machine slows either at random).
    const psqlTimes: number[] = [];
    const ourTimes: number[] = [];
    let rows = 0;
    let bytes = 0;
    for (let i = 0; i < 2; i++) {
      psqlTimes.push(psql());
      const r = await ours();
      ourTimes.push(r.secs);
      rows = r.rows;
      bytes = r.bytes;
    }
    // Hashed as streams, so comparing the files does not count in our memory.
    const hash = async (f: string) => {
      const h = crypto.createHash('sha256');
      for await (const chunk of fs.createReadStream(f)) h.update(chunk as Buffer);
      return h.digest('hex');
    };
    const identical = (await hash(psqlFile)) === (await hash(oursFile));
    const best = (xs: number[]) => Math.min(...xs);
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    t = best(ourTimes);
    const p = best(psqlTimes);
    console.log(`Rows exported:      ${rows.toLocaleString('en')} (${mb(bytes)})`);
    console.log(`psql \\copy:         ${p.toFixed(2)} s  (runs: ${psqlTimes.map((x) => x.toFixed(2)).join(', ')})`);
    console.log(`ours (extract):     ${t.toFixed(2)} s  (runs: ${ourTimes.map((x) => x.toFixed(2)).join(', ')})`);
    console.log(`ratio:              ours takes ${(t / p).toFixed(2)}x psql's time (${((p / t) * 100).toFixed(0)}% of its speed; goal: at least 50%)`);
    console.log(`same bytes as psql: ${identical ? 'yes' : 'NO'}`);
    console.log(`peak RSS:           ${mb(peakRss)} while extracting (${mb(rssBefore)} before); process max ${mb(process.resourceUsage().maxRSS * 1024)}`);
  } finally {
    await pool.end();
    fs.rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
