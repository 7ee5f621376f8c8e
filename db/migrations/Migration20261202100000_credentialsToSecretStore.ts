import { Migration } from '@mikro-orm/migrations';
import { secretsKey, setSecret } from '../../io/secrets';
import { migrationSettingsOf } from '../orm';
import { splitCredentials } from '../../domain/urlCredentials';

/**
 * Credentials live only in the secret store (issue 12 §6): a password or secret query
 * parameters already stored in a job's source_url or destination_url move to the job's
 * `password` and `query` secrets, encrypted as the secrets module does (with SECRETS_KEY),
 * and leave the URL (the user name stays). The URL's values were the ones delivery used, so
 * they replace a secret of the same kind; the destination's win over the source's (only
 * exports connect with them).
 */
export class Migration20261202100000_credentialsToSecretStore extends Migration {
  override async up(): Promise<void> {
    const key = secretsKey(migrationSettingsOf(this.config).SECRETS_KEY);
    const db = {
      // The secrets module's `$n` parameters (each used once, in order) as knex's `?`.
      query: async (text: string, params: unknown[]) => ({ rows: await this.execute(text.replace(/\$\d+/g, '?'), params), rowCount: null }),
    } as unknown as Parameters<typeof setSecret>[0];
    const jobs = (await this.execute(
      `select id, source_url, destination_url from jobs
       where source_url ~ '^[A-Za-z][A-Za-z0-9+.-]*:' or destination_url ~ '^[A-Za-z][A-Za-z0-9+.-]*:'`,
    )) as { id: string; source_url: string | null; destination_url: string | null }[];
    for (const job of jobs) {
      const source = job.source_url ? splitCredentials(job.source_url) : undefined;
      const destination = job.destination_url ? splitCredentials(job.destination_url) : undefined;
      if (!source && !destination) continue;
      for (const found of [source, destination]) {
        if (found?.password !== undefined) await setSecret(db, key, job.id, 'password', found.password);
        if (found?.query !== undefined) await setSecret(db, key, job.id, 'query', found.query);
      }
      await this.execute('update jobs set source_url = ?, destination_url = ? where id = ?', [
        source?.url ?? job.source_url, destination?.url ?? job.destination_url, job.id,
      ]);
    }
  }
}
