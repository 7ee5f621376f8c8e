import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { exportableTaskTypes } from '../../io/export/exportTypes';
import { HALTED_TYPES } from '../../domain/failures';
import { activityEnv, createExportJob, rejection, runExport, startHarness, type ExportHarness } from './fixtures';

/** Batch exports of usersCsv: the domain's users table, in the task type's columns and key order, formula-safe. */

type UserSeed = Record<string, string | boolean | null>;
const USER_COLUMNS = ['user_id', 'email', 'first_name', 'last_name', 'role', 'department', 'active'] as const;

async function seedUsers(pool: pg.Pool, domain: string, rows: UserSeed[]): Promise<void> {
  for (const r of rows) {
    await pool.query(
      `insert into users (domain, ${USER_COLUMNS.join(', ')}) values ($1, ${USER_COLUMNS.map((_, i) => `$${i + 2}`).join(', ')})`,
      [domain, ...USER_COLUMNS.map((c) => r[c] ?? (c === 'role' ? 'student' : c === 'active' ? true : null))],
    );
  }
}

const USERS: UserSeed[] = [
  { user_id: 'u300', email: 'mallory@example.edu', first_name: '=HYPERLINK("http://evil")', last_name: 'Mallory', role: 'student', department: '-2+3' },
  { user_id: 'u100', email: 'ada@example.edu', first_name: 'Ada', last_name: 'Lovelace', role: 'instructor', department: 'Mathematics, Applied' },
  { user_id: 'u200', email: 'bob@example.edu', first_name: null, last_name: 'O"Brien', role: 'staff', department: '@ops', active: false },
  { user_id: 'u150', email: '+1@example.edu', first_name: 'Line\nbreak', last_name: '', role: 'admin', department: null },
];

// Written out by hand: usersCsv's fields in order, key order, RFC 4180 quoting, formulas neutralised, booleans as true/false.
const EXPECTED = [
  'user_id,email,first_name,last_name,role,department,active',
  'u100,ada@example.edu,Ada,Lovelace,instructor,"Mathematics, Applied",true',
  `u150,'+1@example.edu,"Line\nbreak",,admin,,true`,
  'u200,bob@example.edu,,"O""Brien",staff,\'@ops,false',
  `u300,mallory@example.edu,"'=HYPERLINK(""http://evil"")",Mallory,student,'-2+3,true`,
].join('\n') + '\n';

describe('usersCsv export', () => {
  let h: ExportHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('is an export task type', () => {
    assert.ok(exportableTaskTypes().includes('usersCsv'));
  });

  it('writes the domain\'s users to a file, byte for byte, with the counters', async () => {
    const { domain, out } = h.outFolder('users-');
    const { ref, runId } = await createExportJob(h, { domain, taskType: 'usersCsv', destinationUrl: `file://${out}/users.csv` });
    await seedUsers(h.pool, ref.domain, USERS);
    // Another domain's users stay out of this export.
    await seedUsers(h.pool, `${ref.domain}x`, [{ user_id: 'u000', email: 'other@example.edu' }]);
    const { extracted, delivered } = await runExport(h, ref);
    assert.equal(extracted.read, USERS.length);
    assert.equal(extracted.inserted, 0, 'nothing is delivered while extracting');
    assert.equal(delivered.inserted, USERS.length);
    const written = fs.readFileSync(path.join(out, 'users.csv'), 'utf8');
    assert.equal(written, EXPECTED);
    assert.ok(written.includes(`"'=HYPERLINK(`), 'the formula is neutralised');
    assert.deepEqual(fs.readdirSync(out), ['users.csv']);
    const { rows } = await h.pool.query('select read, inserted, bytes_delivered::int as bytes, committed_at is not null as committed from runs where id = $1', [runId]);
    assert.deepEqual(rows[0], { read: 4, inserted: 4, bytes: Buffer.byteLength(EXPECTED), committed: true });
  });

  it('names the file after the task type in a folder destination, and exports the header alone for no users', async () => {
    const { domain, out } = h.outFolder('users-');
    const { ref } = await createExportJob(h, { domain, taskType: 'usersCsv', destinationUrl: `file://${out}/` });
    const { delivered } = await runExport(h, ref);
    assert.equal(delivered.read, 0);
    assert.deepEqual(fs.readdirSync(out), ['users-export-run1.csv']);
    assert.equal(fs.readFileSync(path.join(out, 'users-export-run1.csv'), 'utf8'), EXPECTED.split('\n')[0] + '\n');
  });

  it('halts a realtime users export: there is no outbox of user changes', async () => {
    const { domain, out } = h.outFolder('users-');
    const { ref } = await createExportJob(h, { domain, taskType: 'usersCsv', mode: 'realtime', destinationUrl: `file://${out}/users.csv` });
    await seedUsers(h.pool, ref.domain, USERS);
    const err = await rejection(activityEnv().run(h.activities.extractExport, ref));
    assert.equal(err.type, HALTED_TYPES.mappingMismatch);
    assert.match(err.message, /Realtime exports of usersCsv are not available/);
    assert.deepEqual(fs.readdirSync(out), []);
  });
});
