import crypto from 'node:crypto';
import type pg from 'pg';

/**
 * A job's credentials (an FTP or HTTP Basic password, an HTTPS bearer token, secret query
 * parameters an https: destination appends to its URL as `name=value&…`), encrypted at rest with AES-256-GCM.
 * The API writes them (write-only: nothing here returns a value to a caller outside the
 * worker); workflows carry only the job's reference and activities load the value when
 * they connect. Values are never logged and never put in an error message.
 *
 * The key (secretsKey(), from the SECRETS_KEY setting the caller is given): 64 hex digits or base64 of 32 bytes, or any other text
 * (a passphrase, stretched with scrypt). Without it, a development key is derived from a
 * fixed phrase, with a loud warning: anyone with the source can read those secrets.
 */

export const SECRET_KINDS = ['password', 'token', 'query'] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.ClientBase, 'query'>;

const DEV_PHRASE = 'jobflow-development-secrets-key (not for production)';

/** The key was not the one the secret was written with, or the row was altered. */
export class SecretUnreadableError extends Error {}

export interface SecretsKey {
  key: Buffer;
  /** Names the key without revealing it, so a changed key is told apart from tampering. */
  id: string;
}

let cachedKey: { source: string | undefined; key: SecretsKey } | undefined;
let warned = false;

/** The key for SECRETS_KEY's value (undefined: the development key, with a warning). */
export function secretsKey(source: string | undefined): SecretsKey {
  if (cachedKey && cachedKey.source === source) return cachedKey.key;
  let key: Buffer;
  if (!source) {
    if (!warned) {
      warned = true;
      console.warn(
        '\n*** WARNING: SECRETS_KEY is not set. Job credentials are encrypted with a DEVELOPMENT key that ' +
          'anyone with the source code can derive. Set SECRETS_KEY (64 hex digits) before storing real credentials. ***\n',
      );
    }
    key = crypto.scryptSync(DEV_PHRASE, 'jobflow-secrets', 32);
  } else if (/^[0-9a-fA-F]{64}$/.test(source)) {
    key = Buffer.from(source, 'hex');
  } else if (/^[A-Za-z0-9+/]{43}=$/.test(source)) {
    key = Buffer.from(source, 'base64');
  } else {
    key = crypto.scryptSync(source, 'jobflow-secrets', 32);
  }
  const id = crypto.createHash('sha256').update(key).digest('hex').slice(0, 12);
  cachedKey = { source, key: { key, id } };
  return cachedKey.key;
}

// The job and kind are bound into the ciphertext: a row copied onto another job does not decrypt.
const aad = (jobId: string, kind: string) => Buffer.from(`jobflow-secret:${jobId}:${kind}`, 'utf8');

export function encryptSecret(jobId: string, kind: string, value: string, key: SecretsKey) {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(aad(jobId, kind));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag(), keyId: key.id };
}

export function decryptSecret(
  jobId: string,
  kind: string,
  stored: { ciphertext: Buffer; iv: Buffer; tag: Buffer; keyId: string },
  key: SecretsKey,
): string {
  if (stored.keyId !== key.id) {
    throw new SecretUnreadableError(`The stored ${kind} of this job was encrypted with another SECRETS_KEY; set it again.`);
  }
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key.key, stored.iv);
    decipher.setAAD(aad(jobId, kind));
    decipher.setAuthTag(stored.tag);
    return Buffer.concat([decipher.update(stored.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretUnreadableError(`The stored ${kind} of this job cannot be decrypted (altered?); set it again.`);
  }
}

/** Stores (or replaces) a job's secret. `jobId` is the job's uuid (jobs.id). */
export async function setSecret(db: Queryable, key: SecretsKey, jobId: string, kind: SecretKind, value: string): Promise<void> {
  const { ciphertext, iv, tag, keyId } = encryptSecret(jobId, kind, value, key);
  await db.query(
    `insert into job_secrets (job_id, kind, ciphertext, iv, tag, key_id, updated_at) values ($1, $2, $3, $4, $5, $6, now())
     on conflict (job_id, kind) do update set ciphertext = excluded.ciphertext, iv = excluded.iv, tag = excluded.tag,
       key_id = excluded.key_id, updated_at = now()`,
    [jobId, kind, ciphertext, iv, tag, keyId],
  );
}

/** Removes a job's secret; true if there was one. */
export async function deleteSecret(db: Queryable, jobId: string, kind: SecretKind): Promise<boolean> {
  const res = await db.query('delete from job_secrets where job_id = $1 and kind = $2', [jobId, kind]);
  return (res.rowCount ?? 0) > 0;
}

/** Which secrets a job has and when each was set: what the API may show, never the values. */
export async function listSecrets(db: Queryable, jobId: string): Promise<{ kind: SecretKind; updatedAt: Date }[]> {
  const res = await db.query<{ kind: SecretKind; updated_at: Date }>(
    'select kind, updated_at from job_secrets where job_id = $1 order by kind',
    [jobId],
  );
  return res.rows.map((r) => ({ kind: r.kind, updatedAt: r.updated_at }));
}

/** A job's secret in clear, for the activity that connects with it; undefined if none is set. */
export async function loadSecret(db: Queryable, key: SecretsKey, jobId: string, kind: SecretKind): Promise<string | undefined> {
  const res = await db.query<{ ciphertext: Buffer; iv: Buffer; tag: Buffer; key_id: string }>(
    'select ciphertext, iv, tag, key_id from job_secrets where job_id = $1 and kind = $2',
    [jobId, kind],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  return decryptSecret(jobId, kind, { ciphertext: row.ciphertext, iv: row.iv, tag: row.tag, keyId: row.key_id }, key);
}
