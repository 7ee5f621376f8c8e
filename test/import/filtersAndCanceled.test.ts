import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSystem, type TestSystem } from '../setup/system';
import { createJob, runNow, waitForRun } from './helpers';

/** Campus and term filters, and the canceled-section rules (seed 000's defaults and their settings). */
describe('import: filters and canceled sections', function () {
  this.timeout(180_000);
  let sys: TestSystem;
  let admin: string;
  const domain = 'filtered';
  const H = 'section_id,course_code,term,campus,status,room\n';
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => sys?.stop());

  const write = (name: string, body: string) => {
    const p = path.join(sys.areaOf(domain), name);
    fs.writeFileSync(p, H + body);
    return p;
  };
  const sections = async (prefix: string) =>
    (await sys.db.query(`select section_id, status from sections where domain = $1 and section_id like $2 order by section_id`, [domain, `${prefix}%`])).rows;

  it('imports only the campuses and terms the job names, counting the rest as skipped', async () => {
    const file = write('filters.csv', ['F1,C,2026FA,MAIN,active,R1', 'F2,C,2026FA,NORTH,active,R2', 'F3,C,2025SP,MAIN,active,R3', 'F4,C,,MAIN,active,R4'].join('\n') + '\n');
    const id = await createJob(sys, admin, domain, file, { rules: { campuses: ['MAIN'], terms: ['2026FA'] } });
    await runNow(sys, admin, domain, id);
    const { run } = await waitForRun(sys, admin, domain, id, 1);
    assert.equal(run.status, 'completed', run.reason);
    assert.equal(run.counters.read, 4);
    assert.equal(run.counters.inserted, 1);
    assert.equal(run.counters.skipped, 3);
    assert.deepEqual(await sections('F'), [{ section_id: 'F1', status: 'active' }]);
  });

  it('does not import canceled sections and deletes existing ones that become canceled, with warnings', async () => {
    const first = write('cancel-1.csv', 'K1,C,2026FA,MAIN,active,R1\nK2,C,2026FA,MAIN,active,R2\n');
    const id = await createJob(sys, admin, domain, first);
    await runNow(sys, admin, domain, id);
    assert.equal((await waitForRun(sys, admin, domain, id, 1)).run.status, 'completed');

    fs.writeFileSync(first, H + 'K1,C,2026FA,MAIN,canceled,R1\nK2,C,2026FA,MAIN,active,R2\nK3,C,2026FA,MAIN,canceled,R3\n');
    await runNow(sys, admin, domain, id);
    const { run } = await waitForRun(sys, admin, domain, id, 2);
    assert.equal(run.status, 'completed_with_warnings', run.reason);
    assert.equal(run.warningsByKind.canceled_section, 2);
    assert.equal(run.counters.deleted, 1);
    assert.deepEqual(await sections('K'), [{ section_id: 'K2', status: 'active' }]);
  });

  it('warns of a section that loses its room, counts new, changed and unchanged rows, and warns of nothing when every row has a room', async () => {
    const file = write('rooms.csv', 'M1,C,2026FA,MAIN,active,R1\nM2,C,2026FA,MAIN,active,R2\nM3,C,2026FA,MAIN,active,R3\n');
    const id = await createJob(sys, admin, domain, file);
    await runNow(sys, admin, domain, id);
    assert.equal((await waitForRun(sys, admin, domain, id, 1)).run.status, 'completed');

    // M1 loses its room, M2 moves, M3 stays, M4 is new.
    fs.writeFileSync(file, H + 'M1,C,2026FA,MAIN,active,\nM2,C,2026FA,MAIN,active,R9\nM3,C,2026FA,MAIN,active,R3\nM4,C,2026FA,MAIN,active,\n');
    await runNow(sys, admin, domain, id);
    let { run } = await waitForRun(sys, admin, domain, id, 2);
    assert.equal(run.status, 'completed_with_warnings', run.reason);
    assert.deepEqual(run.warningsByKind, { dropped_room: 1 });
    assert.deepEqual([run.counters.inserted, run.counters.updated, run.counters.unchanged, run.counters.skipped], [1, 2, 1, 0]);
    const rooms = async () => (await sys.db.query(`select section_id, room from sections where domain = $1 and section_id like 'M%' order by section_id`, [domain])).rows;
    assert.deepEqual(await rooms(), [{ section_id: 'M1', room: null }, { section_id: 'M2', room: 'R9' }, { section_id: 'M3', room: 'R3' }, { section_id: 'M4', room: null }]);

    // Every row has a room: validation saw no row the room rule could touch, and none is warned of.
    fs.writeFileSync(file, H + 'M1,C,2026FA,MAIN,active,R1\nM2,C,2026FA,MAIN,active,R9\nM3,C,2026FA,MAIN,active,R3\nM4,C,2026FA,MAIN,active,R4\n');
    await runNow(sys, admin, domain, id);
    ({ run } = await waitForRun(sys, admin, domain, id, 3));
    assert.equal(run.status, 'completed', run.reason);
    assert.deepEqual([run.counters.inserted, run.counters.updated, run.counters.unchanged, run.counters.warnings], [0, 2, 2, 0]);
    assert.deepEqual((await rooms()).map((r: { room: string }) => r.room), ['R1', 'R9', 'R3', 'R4']);
  });

  it('keeps canceled sections when the job says so', async () => {
    const file = write('cancel-keep.csv', 'Q1,C,2026FA,MAIN,canceled,R1\n');
    const id = await createJob(sys, admin, domain, file, { rules: { importCanceled: true } });
    await runNow(sys, admin, domain, id);
    const { run } = await waitForRun(sys, admin, domain, id, 1);
    assert.equal(run.status, 'completed_with_warnings', run.reason);
    assert.deepEqual(await sections('Q'), [{ section_id: 'Q1', status: 'canceled' }]);
  });
});
