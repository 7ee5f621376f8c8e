import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setSecret } from '../../io/secrets';
import { FAILED_TYPES, HALTED_TYPES } from '../../domain/failures';
import {
  activityEnv, createExportJob, makeCertificates, nextRun, rejection, runExport, runLogs, seedSections, startFtpServer, startHarness,
  startHttpsReceiver, type ExportHarness,
} from './fixtures';
import { EXPECTED, SECTIONS } from './sections';

/** Batch exports of sectionsCsv to real destinations: a folder, an FTP(S) server, an HTTPS receiver. */

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'tok_9f8e7d6c5b4a';

describe('export to destinations', () => {
  let h: ExportHarness;
  let certDir: string;
  let certs: ReturnType<typeof makeCertificates>;

  before(async () => {
    h = await startHarness();
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-certs-'));
    certs = makeCertificates(certDir);
  });
  after(async () => {
    await h?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });
  afterEach(() => {
    h.config.EXPORT_CA_FILE = undefined;
  });

  const counters = async (runId: string) =>
    (await h.pool.query('select status, read, inserted, bytes_delivered::int as bytes, committed_at is not null as committed from runs where id = $1', [runId])).rows[0];

  describe('file:', () => {
    it('writes the whole export under its final name, byte for byte, with the counters', async () => {
      const { domain, out } = h.outFolder('out-');
      const { ref, runId } = await createExportJob(h, { domain, destinationUrl: `file://${out}/sections.csv` });
      await seedSections(h.pool, ref.domain, SECTIONS);
      const { extracted, delivered } = await runExport(h, ref);
      assert.equal(extracted.read, 4);
      assert.equal(extracted.inserted, 0, 'nothing is delivered while extracting');
      assert.equal(delivered.read, 4);
      assert.equal(delivered.inserted, 4);
      assert.equal(fs.readFileSync(path.join(out, 'sections.csv'), 'utf8'), EXPECTED);
      assert.deepEqual(fs.readdirSync(out), ['sections.csv']);
      assert.deepEqual(await counters(runId), { status: 'delivering', read: 4, inserted: 4, bytes: Buffer.byteLength(EXPECTED), committed: true });
    });

    it('keeps only the rows of the campuses and terms in the job rules', async () => {
      const { domain, out } = h.outFolder('out-');
      const { ref } = await createExportJob(h, { domain, destinationUrl: `file://${out}/`, rules: { campuses: ['NORTH'], terms: ['2026FA', 'nope'] } });
      await seedSections(h.pool, ref.domain, SECTIONS);
      const { delivered } = await runExport(h, ref);
      assert.equal(delivered.read, 1);
      const lines = EXPECTED.split(/\n(?=[A-Z]{3}\d)/);
      assert.equal(fs.readFileSync(path.join(out, 'sections-export-run1.csv'), 'utf8'), `${lines[0]}\n${lines[3]}\n`);
    });

    it('exports the header alone when no row matches', async () => {
      const { domain, out } = h.outFolder('out-');
      const { ref } = await createExportJob(h, { domain, destinationUrl: `file://${out}/x.csv`, rules: { campuses: [] } });
      await seedSections(h.pool, ref.domain, SECTIONS);
      const { delivered } = await runExport(h, ref);
      assert.equal(delivered.read, 0);
      assert.equal(fs.readFileSync(path.join(out, 'x.csv'), 'utf8'), EXPECTED.split('\n')[0] + '\n');
    });

    it('halts on a path outside the domain\'s file area (outside the roots, or another domain\'s area), writing nothing', async () => {
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-outside-'));
      const other = h.outFolder('victim-');
      try {
        for (const dir of [outside, other.out]) {
          const { ref } = await createExportJob(h, { destinationUrl: `file://${dir}/sections.csv` });
          await activityEnv().run(h.activities.extractExport, ref);
          const err = await rejection(activityEnv().run(h.activities.deliverExport, ref));
          assert.equal(err.type, HALTED_TYPES.outsideFileArea);
          assert.match(err.message, new RegExp(`outside the file area of domain ${ref.domain}: its files must be under ${h.filesDir}/${ref.domain}/`));
          assert.deepEqual(fs.readdirSync(dir), []);
        }
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });
  });

  describe('ftp:', () => {
    it('uploads the export, down then back, and halts on a refused password', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-ftp-'));
      const ftp = await startFtpServer(root, { user: 'exporter', password: PASSWORD });
      try {
        fs.mkdirSync(path.join(root, 'inbox'));
        const { ref, jobUuid, runId } = await createExportJob(h, { destinationUrl: ftp.url('/inbox/sections.csv') });
        await seedSections(h.pool, ref.domain, SECTIONS);

        // Wrong password: halted, nothing written, the password in no log line.
        await setSecret(h.pool, h.key, jobUuid, 'password', 'wrong password');
        await activityEnv().run(h.activities.extractExport, ref);
        const refusedErr = await rejection(activityEnv().run(h.activities.deliverExport, ref));
        assert.equal(refusedErr.type, HALTED_TYPES.credentialsRefused);
        assert.deepEqual(fs.readdirSync(path.join(root, 'inbox')), []);
        assert.ok(!(await runLogs(h.pool, runId)).some((m) => m.includes('wrong password')));

        // The server is down: the run fails (the job retries it), nothing under the final name.
        await setSecret(h.pool, h.key, jobUuid, 'password', PASSWORD);
        await ftp.stop();
        const run2 = await nextRun(h, ref);
        await activityEnv().run(h.activities.extractExport, run2);
        const downErr = await rejection(activityEnv().run(h.activities.deliverExport, run2));
        assert.equal(downErr.type, FAILED_TYPES.destinationUnavailable);
        assert.match(downErr.message, /cannot be reached \(ECONNREFUSED\)/);
        assert.deepEqual(fs.readdirSync(path.join(root, 'inbox')), []);

        // Back up: the next run delivers the whole file once.
        await ftp.start();
        const run3 = await nextRun(h, run2);
        const { delivered } = await runExport(h, run3);
        assert.equal(delivered.inserted, 4);
        assert.deepEqual(fs.readdirSync(path.join(root, 'inbox')), ['sections.csv']);
        assert.equal(fs.readFileSync(path.join(root, 'inbox', 'sections.csv'), 'utf8'), EXPECTED);
        const { rows } = await h.pool.query<{ id: string }>('select id from runs where job_id = $1 and number = 3', [jobUuid]);
        const logs = await runLogs(h.pool, rows[0]!.id);
        assert.ok(logs.some((m) => m.startsWith('Delivered 4 rows')), logs.join('\n'));
        assert.ok(!logs.some((m) => m.includes(PASSWORD)));
      } finally {
        await ftp.stop().catch(() => undefined);
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it('leaves the complete previous file in place when an upload breaks halfway', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-ftp-'));
      let limit: number | undefined;
      const ftp = await startFtpServer(root, { user: 'exporter', password: PASSWORD }, undefined, { breakUploadsAfter: () => limit });
      try {
        const { ref, jobUuid } = await createExportJob(h, { destinationUrl: ftp.url('/sections.csv') });
        await seedSections(h.pool, ref.domain, SECTIONS);
        await setSecret(h.pool, h.key, jobUuid, 'password', PASSWORD);
        await runExport(h, ref);
        assert.equal(fs.readFileSync(path.join(root, 'sections.csv'), 'utf8'), EXPECTED);

        // Many more rows, and the server's disk fills after 64 KiB of the upload.
        await h.pool.query(
          `insert into sections (domain, section_id, course_code, title) select $1, 'Z' || lpad(i::text, 6, '0'), 'Z', repeat('x', 80) from generate_series(1, 3000) i`,
          [ref.domain],
        );
        limit = 64 * 1024;
        const run2 = await nextRun(h, ref);
        await activityEnv().run(h.activities.extractExport, run2);
        const err = await rejection(activityEnv().run(h.activities.deliverExport, run2));
        assert.equal(err.type, FAILED_TYPES.destinationUnavailable);
        assert.equal(fs.readFileSync(path.join(root, 'sections.csv'), 'utf8'), EXPECTED, 'the final name still holds the last complete file');

        limit = undefined;
        const run3 = await nextRun(h, run2);
        const { delivered } = await runExport(h, run3);
        assert.equal(delivered.inserted, 3004);
        const text = fs.readFileSync(path.join(root, 'sections.csv'), 'utf8');
        // The seeded rows sort before the Z rows, so the file is the old one followed by 3000 more lines.
        assert.ok(text.startsWith(EXPECTED));
        assert.equal(text.slice(EXPECTED.length).split('\n').length, 3000 + 1);
        assert.ok(text.endsWith(`Z003000,Z,,${'x'.repeat(80)},,,,active,,,,,,\n`));
        assert.deepEqual(fs.readdirSync(root), ['sections.csv']);
      } finally {
        await ftp.stop().catch(() => undefined);
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it('uploads over explicit FTPS, trusting the private CA from EXPORT_CA_FILE', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-ftps-'));
      const ftps = await startFtpServer(root, { user: 'exporter', password: PASSWORD }, certs);
      try {
        const { ref, jobUuid } = await createExportJob(h, { destinationUrl: ftps.url('/sections.csv') });
        await seedSections(h.pool, ref.domain, SECTIONS);
        await setSecret(h.pool, h.key, jobUuid, 'password', PASSWORD);

        // Without the CA, the certificate is not trusted: failed, nothing sent.
        await activityEnv().run(h.activities.extractExport, ref);
        const untrusted = await rejection(activityEnv().run(h.activities.deliverExport, ref));
        assert.equal(untrusted.type, FAILED_TYPES.destinationUnavailable);
        assert.deepEqual(fs.readdirSync(root), []);

        h.config.EXPORT_CA_FILE = certs.caFile;
        const run2 = await nextRun(h, ref);
        await runExport(h, run2);
        assert.equal(fs.readFileSync(path.join(root, 'sections.csv'), 'utf8'), EXPECTED);
      } finally {
        await ftps.stop().catch(() => undefined);
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('https:', () => {
    it('POSTs the export once, records the status, fails while down or erroring, halts on 401', async () => {
      h.config.EXPORT_CA_FILE = certs.caFile;
      const receiver = await startHttpsReceiver(certs, { token: TOKEN });
      try {
        const { ref, jobUuid, runId } = await createExportJob(h, { destinationUrl: receiver.url });
        await seedSections(h.pool, ref.domain, SECTIONS);

        // Wrong token: halted.
        await setSecret(h.pool, h.key, jobUuid, 'token', 'tok_wrong');
        await activityEnv().run(h.activities.extractExport, ref);
        const refusedErr = await rejection(activityEnv().run(h.activities.deliverExport, ref));
        assert.equal(refusedErr.type, HALTED_TYPES.credentialsRefused);
        assert.match(refusedErr.message, /HTTP 401/);
        assert.ok(!(await runLogs(h.pool, runId)).some((m) => m.includes('tok_wrong')));

        // Down (connection refused), then answering 503: failed both times.
        await setSecret(h.pool, h.key, jobUuid, 'token', TOKEN);
        await receiver.stop();
        const run2 = await nextRun(h, ref);
        await activityEnv().run(h.activities.extractExport, run2);
        const down = await rejection(activityEnv().run(h.activities.deliverExport, run2));
        assert.equal(down.type, FAILED_TYPES.destinationUnavailable);
        assert.match(down.message, /ECONNREFUSED/);
        await receiver.start();
        receiver.setResponder(() => 503);
        const run3 = await nextRun(h, run2);
        await activityEnv().run(h.activities.extractExport, run3);
        const erroring = await rejection(activityEnv().run(h.activities.deliverExport, run3));
        assert.equal(erroring.type, FAILED_TYPES.destinationUnavailable);
        assert.match(erroring.message, /HTTP 503/);

        // Back: delivered once, byte for byte; a repeated delivery sends nothing more.
        receiver.setResponder((req) => (req.authorization === `Bearer ${TOKEN}` ? 200 : 401));
        const run4 = await nextRun(h, run3);
        const { delivered } = await runExport(h, run4);
        assert.equal(delivered.inserted, 4);
        const accepted = receiver.received.filter((r) => r.status === 200);
        assert.equal(accepted.length, 1);
        assert.equal(accepted[0]!.body.toString('utf8'), EXPECTED);
        assert.equal(accepted[0]!.headers['content-type'], 'text/csv; charset=utf-8');
        assert.equal(accepted[0]!.headers['idempotency-key'], `jobflow-${ref.domain}-export-4`);
        await activityEnv().run(h.activities.deliverExport, run4);
        assert.equal(receiver.received.filter((r) => r.status === 200).length, 1);

        const { rows } = await h.pool.query<{ id: string }>('select id from runs where job_id = $1 and number = 4', [jobUuid]);
        const logs = await runLogs(h.pool, rows[0]!.id);
        assert.ok(logs.some((m) => m.includes('the destination answered HTTP 200 OK')), logs.join('\n'));
        const allLogs = (await h.pool.query<{ message: string }>(
          'select message from run_logs l join runs r on r.id = l.run_id where r.job_id = $1', [jobUuid])).rows.map((r) => r.message);
        assert.ok(!allLogs.some((m) => m.includes(TOKEN)));
      } finally {
        await receiver.stop().catch(() => undefined);
      }
    });

    it('refuses a certificate from an untrusted CA', async () => {
      const receiver = await startHttpsReceiver(certs, { token: TOKEN });
      try {
        const { ref, jobUuid } = await createExportJob(h, { destinationUrl: receiver.url });
        await setSecret(h.pool, h.key, jobUuid, 'token', TOKEN);
        await activityEnv().run(h.activities.extractExport, ref);
        const err = await rejection(activityEnv().run(h.activities.deliverExport, ref));
        assert.equal(err.type, FAILED_TYPES.destinationUnavailable);
        assert.match(err.message, /not trusted.*EXPORT_CA_FILE/);
        assert.equal(receiver.received.length, 0);
      } finally {
        await receiver.stop();
      }
    });
  });
});
