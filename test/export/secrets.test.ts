import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pg from 'pg';
import { decryptSecret, deleteSecret, encryptSecret, listSecrets, loadSecret, secretsKey, setSecret, SecretUnreadableError } from '../../io/secrets';
import { testEnv } from '../setup/globalHooks';

/** Job credentials: encrypted at rest, bound to their job, unreadable with another key. */
describe('job secrets', () => {
  let pool: pg.Pool;
  const key = secretsKey('c'.repeat(64));
  const jobId = crypto.randomUUID();
  const otherJob = crypto.randomUUID();
  before(async () => {
    pool = new pg.Pool({ connectionString: testEnv().databaseUrl, max: 2 });
    for (const id of [jobId, otherJob]) {
      await pool.query(
        `insert into jobs (id, domain, identifier, name, task_type, direction, mode) values ($1, 'secrets', $2, 'S', 'sectionsCsv', 'export', 'batch')`,
        [id, id],
      );
    }
  });
  after(async () => pool?.end());

  it('stores the value encrypted and gives it back to the activity that loads it', async () => {
    await setSecret(pool, key, jobId, 'password', 'hunter2-hunter2');
    const { rows } = await pool.query('select * from job_secrets where job_id = $1', [jobId]);
    assert.equal(rows.length, 1);
    const stored = JSON.stringify(rows[0]) + (rows[0].ciphertext as Buffer).toString('latin1');
    assert.ok(!stored.includes('hunter2'), 'the value is not stored in clear');
    assert.equal(await loadSecret(pool, key, jobId, 'password'), 'hunter2-hunter2');
    assert.equal(await loadSecret(pool, key, jobId, 'token'), undefined);
    assert.deepEqual((await listSecrets(pool, jobId)).map((s) => s.kind), ['password']);

    await setSecret(pool, key, jobId, 'password', 'changed');
    assert.equal(await loadSecret(pool, key, jobId, 'password'), 'changed');
    assert.equal(await deleteSecret(pool, jobId, 'password'), true);
    assert.equal(await loadSecret(pool, key, jobId, 'password'), undefined);
  });

  it('refuses a secret copied onto another job, or read with another key', async () => {
    await setSecret(pool, key, jobId, 'token', 'tok_abc');
    await pool.query(
      `insert into job_secrets (job_id, kind, ciphertext, iv, tag, key_id) select $2, kind, ciphertext, iv, tag, key_id from job_secrets where job_id = $1 and kind = 'token'`,
      [jobId, otherJob],
    );
    await assert.rejects(loadSecret(pool, key, otherJob, 'token'), SecretUnreadableError);

    const sealed = encryptSecret(jobId, 'token', 'tok_abc', secretsKey('a'.repeat(64)));
    assert.equal(decryptSecret(jobId, 'token', sealed, secretsKey('a'.repeat(64))), 'tok_abc');
    assert.throws(() => decryptSecret(jobId, 'token', sealed, secretsKey('b'.repeat(64))), (e: Error) =>
      e instanceof SecretUnreadableError && /another SECRETS_KEY/.test(e.message) && !e.message.includes('tok_abc'));
  });
});
