import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setMigrationSettings } from '../../db/orm';
import { loadSecret, setSecret } from '../../io/secrets';
import { Migration20261202100000_credentialsToSecretStore as CredentialsMigration } from '../../db/migrations/Migration20261202100000_credentialsToSecretStore';
import { createExportJob, makeCertificates, runExport, seedSections, startFtpServer, startHarness, startHttpsReceiver, type ExportHarness } from './fixtures';
import { EXPECTED, SECTIONS } from './sections';

/**
 * The migration that moves credentials stored in job URLs (before they were refused at
 * save) into the secret store: encrypted as the secrets module does, gone from the URL, and
 * the export still delivers with them, to the same place, the same way.
 */
describe('migration: credentials out of job URLs', () => {
  let h: ExportHarness;
  let certDir: string;
  before(async () => {
    h = await startHarness();
    setMigrationSettings(h.orm, h.config);
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-certs-'));
  });
  after(async () => {
    await h?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  const migrate = () => new CredentialsMigration(h.orm.em.getDriver(), h.orm.config).up();
  const urlOf = async (jobUuid: string) => (await h.pool.query('select destination_url from jobs where id = $1', [jobUuid])).rows[0].destination_url as string;

  it('moves a password and secret query parameters to the secret store, and the exports still deliver', async () => {
    const PASSWORD = 'p@ss:w0rd/ünï';
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-ftp-mig-'));
    const ftp = await startFtpServer(root, { user: 'exporter', password: PASSWORD });
    const certs = makeCertificates(certDir);
    h.config.EXPORT_CA_FILE = certs.caFile;
    const receiver = await startHttpsReceiver(certs, { token: 'unused' });
    receiver.setResponder(() => 200);
    try {
      // Old-style rows, as the API once saved them.
      const ftpUrl = ftp.url('/sections.csv').replace('exporter@', `exporter:${encodeURIComponent(PASSWORD)}@`);
      const a = await createExportJob(h, { destinationUrl: ftpUrl });
      await setSecret(h.pool, h.key, a.jobUuid, 'password', 'an older password the URL overrode');
      const b = await createExportJob(h, { destinationUrl: `${receiver.url}?format=csv&access_token=tok-1&sig=s%2F1` });
      const c = await createExportJob(h, { destinationUrl: `${receiver.url}?format=csv` });
      for (const j of [a, b, c]) await seedSections(h.pool, j.ref.domain, SECTIONS);

      await migrate();

      assert.equal(await urlOf(a.jobUuid), ftp.url('/sections.csv'), 'the password left the URL, the user name stayed');
      assert.equal(await loadSecret(h.pool, h.key, a.jobUuid, 'password'), PASSWORD);
      const stored = (await h.pool.query('select ciphertext from job_secrets where job_id = $1', [a.jobUuid])).rows[0].ciphertext as Buffer;
      assert.ok(!stored.toString('utf8').includes('w0rd'), 'encrypted at rest');
      assert.equal(await urlOf(b.jobUuid), `${receiver.url}?format=csv`);
      assert.equal(await loadSecret(h.pool, h.key, b.jobUuid, 'query'), 'access_token=tok-1&sig=s%2F1');
      assert.equal(await loadSecret(h.pool, h.key, b.jobUuid, 'password'), undefined);
      assert.equal(await urlOf(c.jobUuid), `${receiver.url}?format=csv`, 'a URL without credentials is left alone');
      assert.equal(await loadSecret(h.pool, h.key, c.jobUuid, 'query'), undefined);

      // Run again, it changes nothing.
      await migrate();
      assert.equal(await loadSecret(h.pool, h.key, a.jobUuid, 'password'), PASSWORD);

      // Delivered as before: the FTP login with the moved password, the HTTPS request to the same URL.
      await runExport(h, a.ref);
      assert.equal(fs.readFileSync(path.join(root, 'sections.csv'), 'utf8'), EXPECTED);
      await runExport(h, b.ref);
      assert.equal(receiver.received.at(-1)!.url, '/inbox/sections.csv?format=csv&access_token=tok-1&sig=s%2F1');
      assert.equal(receiver.received.at(-1)!.body.toString('utf8'), EXPECTED);
    } finally {
      await ftp.stop().catch(() => undefined);
      await receiver.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
