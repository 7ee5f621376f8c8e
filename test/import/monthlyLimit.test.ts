import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { startSystem, type TestSystem } from '../setup/system';
import { createJob, runNow, waitForRun } from './helpers';

/** Two runs of one domain racing for the last rows of the monthly limit: exactly one passes. */
describe('import: monthly limit under concurrency', function () {
  this.timeout(180_000);
  let sys: TestSystem;
  let admin: string;
  const domain = 'limited';
  before(async () => {
    sys = await startSystem({ monthlyRowLimit: 10 });
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => sys?.stop());

  it('lets one run take the last rows and halts the other with "Limit reached"', async () => {
    const file = (name: string, prefix: string) => {
      const p = path.join(sys.areaOf(domain), name);
      fs.writeFileSync(p, 'section_id,course_code\n' + Array.from({ length: 6 }, (_, i) => `${prefix}${i},C${i}\n`).join(''));
      return p;
    };
    const one = await createJob(sys, admin, domain, file('one.csv', 'P'));
    const two = await createJob(sys, admin, domain, file('two.csv', 'Q'));
    await Promise.all([runNow(sys, admin, domain, one), runNow(sys, admin, domain, two)]);
    const runs = await Promise.all([waitForRun(sys, admin, domain, one, 1), waitForRun(sys, admin, domain, two, 1)]);
    const statuses = runs.map((r) => r.run.status).sort();
    assert.deepEqual(statuses, ['completed', 'halted']);
    const halted = runs.find((r) => r.run.status === 'halted')!;
    assert.match(halted.run.reason, /^Limit reached: importing 6 rows would pass this domain's monthly limit of 10 rows\./);
    assert.equal(halted.run.counters.inserted, 0);
    const { rows } = await sys.db.query(`select count(*)::int as n from sections where domain = $1`, [domain]);
    assert.equal(rows[0].n, 6);
    const usage = await sys.db.query(`select rows::int as n from monthly_usage where domain = $1`, [domain]);
    assert.deepEqual(usage.rows, [{ n: 6 }]);
  });
});
