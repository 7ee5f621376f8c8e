import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { exportableTaskTypes } from '../../io/export/exportTypes';
import { readXmlRecords } from '../../io/import/xmlRecords';
import { setSecret } from '../../io/secrets';
import { importRulesSchema } from '../../taskTypes/importRules';
import { parseWithSchema } from '../../taskTypes/taskType';
import { trainingHistoryXml } from '../../taskTypes/trainingHistoryXml';
import { createExportJob, makeCertificates, runExport, startHarness, startHttpsReceiver, type ExportHarness } from './fixtures';

/** Batch exports of trainingHistoryXml: an XML document streamed from a cursor, in the import side's shape. */

type TrainingSeed = { record_id: string; user_id: string; course_code: string; completed_on: string; score: number | null; status: string; title: string | null };

async function seedTraining(pool: pg.Pool, domain: string, rows: TrainingSeed[]): Promise<void> {
  for (const r of rows) {
    await pool.query(
      `insert into training_history (domain, record_id, user_id, course_code, completed_on, score, status, title) values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [domain, r.record_id, r.user_id, r.course_code, r.completed_on, r.score, r.status, r.title],
    );
  }
}

const TRAINING: TrainingSeed[] = [
  { record_id: 'T2', user_id: 'u<2>', course_code: 'ETHICS-200', completed_on: '2026-02-28', score: null, status: 'incomplete', title: null },
  { record_id: 'T1', user_id: 'u1', course_code: 'SAFETY-101', completed_on: '2026-10-02', score: 92, status: 'passed', title: `Lab Safety & You: "Goggles" <On> 'always'` },
  { record_id: 'A&"9', user_id: 'u3', course_code: 'SAFETY-101', completed_on: '2025-12-31', score: 0, status: 'failed', title: '=SUM(A1)\nsecond line' },
  { record_id: 'K\t1', user_id: 'u4', course_code: 'C', completed_on: '2026-01-01', score: 100, status: 'passed', title: 'cr\rinside' },
];

// Written out by hand: key order, the key as the id attribute, null fields without an element,
// &, <, >, and quotes escaped, a carriage return (and an attribute's tab) as a character reference
// so it reads back unchanged, values as stored (no formula prefix in XML).
const EXPECTED = `<?xml version="1.0" encoding="UTF-8"?>
<trainingHistory>
  <completion id="A&amp;&quot;9">
    <user_id>u3</user_id>
    <course_code>SAFETY-101</course_code>
    <completed_on>2025-12-31</completed_on>
    <score>0</score>
    <status>failed</status>
    <title>=SUM(A1)
second line</title>
  </completion>
  <completion id="K&#9;1">
    <user_id>u4</user_id>
    <course_code>C</course_code>
    <completed_on>2026-01-01</completed_on>
    <score>100</score>
    <status>passed</status>
    <title>cr&#13;inside</title>
  </completion>
  <completion id="T1">
    <user_id>u1</user_id>
    <course_code>SAFETY-101</course_code>
    <completed_on>2026-10-02</completed_on>
    <score>92</score>
    <status>passed</status>
    <title>Lab Safety &amp; You: &quot;Goggles&quot; &lt;On&gt; &apos;always&apos;</title>
  </completion>
  <completion id="T2">
    <user_id>u&lt;2&gt;</user_id>
    <course_code>ETHICS-200</course_code>
    <completed_on>2026-02-28</completed_on>
    <status>incomplete</status>
  </completion>
</trainingHistory>
`;

describe('trainingHistoryXml export', () => {
  let h: ExportHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('is an export task type', () => {
    assert.ok(exportableTaskTypes().includes('trainingHistoryXml'));
  });

  it('writes the domain\'s completions as one XML document, exactly, and it imports back to the same rows', async () => {
    const { domain, out } = h.outFolder('training-');
    const { ref, runId } = await createExportJob(h, { domain, taskType: 'trainingHistoryXml', destinationUrl: `file://${out}/` });
    await seedTraining(h.pool, ref.domain, TRAINING);
    await seedTraining(h.pool, `${ref.domain}x`, [{ ...TRAINING[1]!, record_id: 'OTHER' }]);
    const { extracted, delivered } = await runExport(h, ref);
    assert.equal(extracted.read, TRAINING.length);
    assert.equal(delivered.inserted, TRAINING.length);
    assert.deepEqual(fs.readdirSync(out), ['training-history-export-run1.xml']);
    const file = path.join(out, 'training-history-export-run1.xml');
    const written = fs.readFileSync(file, 'utf8');
    assert.equal(written, EXPECTED);
    const { rows } = await h.pool.query('select read, inserted, bytes_delivered::int as bytes from runs where id = $1', [runId]);
    assert.deepEqual(rows[0], { read: 4, inserted: 4, bytes: Buffer.byteLength(EXPECTED) });

    // The import side's reader and row rules give back the rows as stored.
    const parsed: Record<string, string | number | null>[] = [];
    for await (const item of readXmlRecords(file, trainingHistoryXml, importRulesSchema.parse({}), { area: { domain: 'test', folders: [path.dirname(file)] } })) {
      assert.equal(item.kind, 'row');
      if (item.kind !== 'row') continue;
      const row = parseWithSchema(trainingHistoryXml, item.values);
      assert.ok(row.ok, JSON.stringify(row));
      if (row.ok) parsed.push(row.row);
    }
    const byKey = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.record_id).localeCompare(String(b.record_id));
    assert.deepEqual([...parsed].sort(byKey), [...TRAINING].sort(byKey));
  });

  it('POSTs the document to an HTTPS receiver as application/xml', async () => {
    const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-certs-'));
    const certs = makeCertificates(certDir);
    h.config.EXPORT_CA_FILE = certs.caFile;
    const token = 'tok_xml_4b2a';
    const receiver = await startHttpsReceiver(certs, { token });
    try {
      const { ref, jobUuid } = await createExportJob(h, { taskType: 'trainingHistoryXml', destinationUrl: receiver.url });
      await setSecret(h.pool, h.key, jobUuid, 'token', token);
      await seedTraining(h.pool, ref.domain, TRAINING);
      const { delivered } = await runExport(h, ref);
      assert.equal(delivered.inserted, TRAINING.length);
      assert.equal(receiver.received.length, 1);
      assert.equal(receiver.received[0]!.status, 200);
      assert.equal(receiver.received[0]!.headers['content-type'], 'application/xml; charset=utf-8');
      assert.equal(receiver.received[0]!.body.toString('utf8'), EXPECTED);
    } finally {
      h.config.EXPORT_CA_FILE = undefined;
      await receiver.stop();
      fs.rmSync(certDir, { recursive: true, force: true });
    }
  });

  it('writes the root element alone when there are no completions', async () => {
    const { domain, out } = h.outFolder('training-');
    const { ref } = await createExportJob(h, { domain, taskType: 'trainingHistoryXml', destinationUrl: `file://${out}/training.xml` });
    const { delivered } = await runExport(h, ref);
    assert.equal(delivered.read, 0);
    assert.equal(fs.readFileSync(path.join(out, 'training.xml'), 'utf8'), '<?xml version="1.0" encoding="UTF-8"?>\n<trainingHistory>\n</trainingHistory>\n');
  });

  it('streams a table larger than one cursor page, every record once and in key order', async () => {
    const { domain, out } = h.outFolder('training-');
    const { ref } = await createExportJob(h, { domain, taskType: 'trainingHistoryXml', destinationUrl: `file://${out}/training.xml` });
    const n = 4_500;
    await h.pool.query(
      `insert into training_history (domain, record_id, user_id, course_code, completed_on, score, status)
       select $1, 'R' || lpad(i::text, 5, '0'), 'u' || i, 'C', date '2026-01-01', i % 101, 'passed' from generate_series(1, $2) i`,
      [ref.domain, n],
    );
    const { delivered } = await runExport(h, ref);
    assert.equal(delivered.inserted, n);
    const ids = [...fs.readFileSync(path.join(out, 'training.xml'), 'utf8').matchAll(/<completion id="([^"]+)">/g)].map((m) => m[1]);
    assert.equal(ids.length, n);
    assert.deepEqual(ids, Array.from({ length: n }, (_, i) => `R${String(i + 1).padStart(5, '0')}`));
  });
});
