import assert from 'node:assert/strict';
import { startSystem, type TestSystem } from '../setup/system';
import { importOnce, place } from './helpers';

/** usersCsv and trainingHistoryXml, end to end through the real system. */
describe('import: usersCsv and trainingHistoryXml task types', function () {
  this.timeout(180_000);
  let sys: TestSystem;
  let admin: string;
  const domain = 'people';
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', domain);
  });
  after(async () => sys?.stop());

  it('usersCsv: maps renamed headers, normalises values, rejects bad emails and roles', async () => {
    const r = await importOnce(sys, admin, domain, place(sys, domain, 'users.csv'), {
      taskType: 'usersCsv',
      rules: { mapping: { 'User ID': 'user_id', 'E-mail': 'email', 'First Name': 'first_name', Surname: 'last_name', Role: 'role', Dept: 'department', Enabled: 'active' } },
    });
    assert.equal(r.run.status, 'partially_completed', r.run.reason);
    const { rows } = await sys.db.query(`select user_id, email, first_name, last_name, role, department, active from users where domain = $1 order by 1`, [domain]);
    assert.deepEqual(rows, [
      { user_id: 'u1', email: 'ada@example.org', first_name: 'Ada', last_name: 'Lovelace', role: 'instructor', department: 'Math', active: true },
      { user_id: 'u2', email: 'grace@example.org', first_name: 'Grace', last_name: 'Hopper', role: 'student', department: 'CS', active: true },
    ]);
    assert.deepEqual(r.rejected, [
      { line: 4, column: 'email', reason: 'email: is not an email address', raw: 'u3,not-an-email,Bad,Email,student,CS,true' },
      { line: 5, column: 'role', reason: 'role: must be one of student, instructor, staff, admin', raw: 'u4,linus@example.org,Linus,T,wizard,CS,no' },
    ]);
  });

  it('trainingHistoryXml: streams completions, with their line numbers in rejections', async () => {
    const r = await importOnce(sys, admin, domain, place(sys, domain, 'training.xml'), { taskType: 'trainingHistoryXml' });
    assert.equal(r.run.status, 'partially_completed', r.run.reason);
    const { rows } = await sys.db.query(
      `select record_id, user_id, course_code, to_char(completed_on, 'YYYY-MM-DD') as completed_on, score, status, title from training_history where domain = $1 order by 1`, [domain]);
    assert.deepEqual(rows, [
      { record_id: 'T1', user_id: 'u1', course_code: 'SAFETY-101', completed_on: '2026-10-02', score: 92, status: 'passed', title: 'Lab Safety & You' },
      { record_id: 'T4', user_id: 'u3', course_code: 'SAFETY-101', completed_on: '2026-10-06', score: null, status: 'failed', title: null },
    ]);
    assert.deepEqual(r.rejected.map(({ line, column, reason }) => ({ line, column, reason })), [
      { line: 11, column: 'completed_on', reason: 'completed_on: must be a date written YYYY-MM-DD' },
      { line: 17, column: 'score', reason: 'score: must be a whole number from 0 to 100' },
    ]);
    assert.match(r.rejected[0]!.raw, /^<completion id="T2"><user_id>u2<\/user_id>.*<completed_on>2026-02-30<\/completed_on>/);
  });

  it('trainingHistoryXml: malformed XML halts the run with the line where it broke', async () => {
    const r = await importOnce(sys, admin, domain, place(sys, domain, 'training-broken.xml'), { taskType: 'trainingHistoryXml' });
    assert.equal(r.run.status, 'halted');
    assert.match(r.run.reason, /^training-broken\.xml line 5, column \d+: the XML is not well formed/);
  });
});
