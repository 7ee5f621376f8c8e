import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { secretsKey, setSecret } from '../../io/secrets';
import { eventually, startSystem, type TestSystem } from '../setup/system';
import { makeCertificates, seedSections, startHttpsReceiver } from './fixtures';
import { EXPECTED, SECTIONS } from './sections';

/**
 * Through the API, the job and run workflows and a worker: an export job to an HTTPS
 * receiver that answers 503 at first. The run fails, the job's retry delivers, the file
 * arrives once, and the token is in no workflow history and no API answer.
 */
/** Every string and payload (decoded as UTF-8) in a history, for searching. */
function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') return Object.values(value).map(historyText).join('\n');
  return '';
}

describe('export, end to end', () => {
  let sys: TestSystem;
  let admin: string;
  let certDir: string;
  before(async () => {
    sys = await startSystem({ retryLimit: 2, retryIntervalMs: 1_000 });
    admin = await sys.token('domain_admin', 'exp');
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-certs-'));
  });
  after(async () => {
    await sys?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('fails while the receiver errors, then the retry delivers the export once', async () => {
    const certs = makeCertificates(certDir);
    sys.config.EXPORT_CA_FILE = certs.caFile;
    const token = 'tok_end_to_end_5e1f';
    const receiver = await startHttpsReceiver(certs, { token });
    let calls = 0;
    receiver.setResponder((req) => (++calls === 1 ? 503 : req.authorization === `Bearer ${token}` ? 200 : 401));
    try {
      await seedSections(sys.db, 'exp', SECTIONS);
      const created = await sys.call(admin, 'POST', '/domains/exp/jobs', {
        id: 'to-partner', name: 'Sections to partner', taskType: 'sectionsCsv', mode: 'batch', direction: 'export', destinationUrl: receiver.url,
      });
      assert.equal(created.status, 201, created.text);
      const { rows } = await sys.db.query<{ id: string }>(`select id from jobs where domain = 'exp' and identifier = 'to-partner'`);
      await setSecret(sys.db, secretsKey(sys.config.SECRETS_KEY), rows[0]!.id, 'token', token);

      const metrics = async () => (await sys.call(admin, 'GET', '/metrics')).text;
      const rowsOf = (text: string, kind: string) => Number(new RegExp(`^jobflow_rows_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      const before = await metrics();
      const run = await sys.call(admin, 'POST', '/domains/exp/jobs/to-partner/run');
      assert.equal(run.status, 202, run.text);
      const job = await eventually(async () => {
        const { json } = await sys.call(admin, 'GET', '/domains/exp/jobs/to-partner');
        return json.lastRuns.length >= 2 && !json.currentRun ? json : undefined;
      }, 'two runs of the export');
      const history = await sys.call(admin, 'GET', '/domains/exp/jobs/to-partner/runs');
      const byNumber = [...history.json.items].sort((a: { number: number }, b: { number: number }) => a.number - b.number);
      assert.deepEqual(byNumber.map((r: { trigger: string; status: string }) => [r.trigger, r.status]), [['manual', 'failed'], ['retry', 'completed']]);
      assert.match(byNumber[0].reason, /answered HTTP 503/);
      assert.equal(job.lastRuns[0].outcome, 'completed');
      // An export's counters have their own names, in the job, the run, its log and the metrics.
      assert.deepEqual(job.lastRuns[0].counters, { extracted: SECTIONS.length, delivered: SECTIONS.length });
      assert.deepEqual(byNumber[1].counters, { extracted: SECTIONS.length, delivered: SECTIONS.length });
      assert.deepEqual(byNumber[0].counters, { extracted: SECTIONS.length, delivered: 0 }, 'the failed run extracted and delivered nothing');
      const logs = await sys.call(admin, 'GET', '/domains/exp/jobs/to-partner/runs/2/logs');
      assert.match(logs.json.items.at(-1).message, new RegExp(`^Run completed \\(extracted ${SECTIONS.length}, delivered ${SECTIONS.length}\\)\\.$`));
      const after = await metrics();
      assert.equal(rowsOf(after, 'delivered') - rowsOf(before, 'delivered'), SECTIONS.length);
      assert.equal(rowsOf(after, 'extracted') - rowsOf(before, 'extracted'), 2 * SECTIONS.length);
      assert.equal(rowsOf(after, 'inserted'), rowsOf(before, 'inserted'), 'an export inserts nothing');

      const accepted = receiver.received.filter((r) => r.status === 200);
      assert.equal(accepted.length, 1);
      assert.equal(accepted[0]!.body.toString('utf8'), EXPECTED);

      // The token is in no API answer and no workflow history.
      assert.ok(!JSON.stringify(job).includes(token));
      for (const r of byNumber) {
        const text = historyText(await sys.client.workflow.getHandle(r.workflowId).fetchHistory());
        assert.ok(text.includes('to-partner'), 'the payloads are read');
        assert.ok(!text.includes(token));
      }
    } finally {
      await receiver.stop();
    }
  });
});
