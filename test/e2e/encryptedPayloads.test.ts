import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jobWorkflowId, runWorkflowId } from '../../contracts/workflowIds';
import { ENCRYPTED_ENCODING } from '../../temporal/payloadCodec';
import { apiClient, type ApiCall } from '../setup/apiClient';
import { createJob, runNow } from '../setup/jobs';
import { eventually, startSystem, type TestSystem } from '../setup/system';

type PayloadJson = { metadata?: Record<string, string>; data?: string };

/** Every payload in a raw history (anything with bytes `data` and a `metadata` map), and every string in it. */
function walk(node: unknown, payloads: PayloadJson[], strings: string[]): void {
  if (typeof node === 'string') strings.push(node);
  if (!node || typeof node !== 'object') return;
  if (node instanceof Uint8Array) return void strings.push(Buffer.from(node).toString('utf8'));
  const o = node as Record<string, unknown>;
  if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
    payloads.push({
      metadata: Object.fromEntries(Object.entries(o.metadata as Record<string, Uint8Array>).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(o.data).toString('base64'),
    });
  }
  for (const v of Object.values(o)) walk(v, payloads, strings);
}

/**
 * Payload encryption end to end: a job run with PAYLOAD_CODEC_KEYS set leaves nothing of its
 * name, file path or failure messages readable in Temporal's history; the API's codec server
 * gives them back to a system administrator (as Temporal Web would show them), and to no one else.
 */
describe('encrypted payloads and the codec server', () => {
  let sys: TestSystem;
  let admin: string;
  let system: string;
  let call: ApiCall;
  const secretName = `Ledger of Initech ${crypto.randomUUID().slice(0, 8)}`;
  let secretFile: string;
  const missingFile = `payroll-missing-${crypto.randomUUID().slice(0, 8)}.csv`;

  before(async () => {
    sys = await startSystem({ retryLimit: 0, settings: { PAYLOAD_CODEC_KEYS: `k2026:${crypto.randomBytes(32).toString('base64')}` } });
    admin = await sys.token('domain_admin', 'crypt');
    system = await sys.token('system_admin');
    call = apiClient(sys.api);
    secretFile = path.join(sys.areaOf('crypt'), `confidential-ledger-${crypto.randomUUID().slice(0, 8)}.csv`);
    fs.copyFileSync('samples/sections.csv', secretFile);
  });
  after(async () => {
    await sys?.stop();
  });

  const lastOutcome = (id: string) =>
    eventually(async () => {
      const { json } = await sys.call(admin, 'GET', `/domains/crypt/jobs/${id}`);
      return json.lastRuns?.length && !json.currentRun ? json.lastRuns[0].outcome as string : undefined;
    }, `the run of ${id}`);

  const rawHistories = async (ids: string[]) => {
    const payloads: PayloadJson[] = [];
    const strings: string[] = [];
    for (const id of ids) walk(await sys.client.workflow.getHandle(id).fetchHistory(), payloads, strings);
    return { payloads, raw: strings.join('\n') };
  };

  it('runs a job with encryption on; the raw history shows no name, path or failure message; the codec server decodes it', async () => {
    await createJob(sys, admin, 'crypt', { id: 'ledger', name: secretName, mode: 'batch', sourceUrl: `file://${secretFile}` });
    await runNow(sys, admin, 'crypt', 'ledger');
    assert.equal(await lastOutcome('ledger'), 'completed');
    await createJob(sys, admin, 'crypt', { id: 'payroll', name: 'Payroll', mode: 'batch', sourceUrl: `file://${path.join(sys.areaOf('crypt'), missingFile)}` });
    await runNow(sys, admin, 'crypt', 'payroll');
    assert.notEqual(await lastOutcome('payroll'), 'completed');

    const ids = [jobWorkflowId('crypt', 'ledger'), runWorkflowId('crypt', 'ledger', 1), jobWorkflowId('crypt', 'payroll'), runWorkflowId('crypt', 'payroll', 1)];
    const { payloads, raw } = await rawHistories(ids);
    for (const secret of [secretName, path.basename(secretFile), missingFile]) assert.ok(!raw.includes(secret), `${secret} is readable in Temporal's history`);
    const encrypted = payloads.filter((p) => Buffer.from(p.metadata?.encoding ?? '', 'base64').toString() === ENCRYPTED_ENCODING);
    assert.ok(encrypted.length > 10, `encrypted payloads: ${encrypted.length} of ${payloads.length}`);

    // The codec server, as Temporal Web calls it, gives the plaintext back to a system administrator.
    const decoded = await call(system, 'POST', '/codec/decode', { payloads }, { headers: { 'x-namespace': 'default' } });
    assert.equal(decoded.status, 200, decoded.text);
    assert.equal(decoded.json.payloads.length, payloads.length);
    const plain = (decoded.json.payloads as PayloadJson[]).map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n');
    // The job's name (job workflow input) and the failure's message naming the missing file were there.
    for (const secret of [secretName, missingFile]) assert.ok(plain.includes(secret), `${secret} is not in the decoded payloads`);
    assert.ok(!(decoded.json.payloads as PayloadJson[]).some((p) => Buffer.from(p.metadata?.encoding ?? '', 'base64').toString() === ENCRYPTED_ENCODING));

    // Nobody else: no token 401, a domain's own administrator 403 (payloads of every domain pass here).
    const sample = { payloads: encrypted.slice(0, 1) };
    assert.equal((await call(undefined, 'POST', '/codec/decode', sample)).status, 401);
    const refused = await sys.call(admin, 'POST', '/codec/decode', sample);
    assert.equal(refused.status, 403);
    assert.ok(!refused.text.includes(secretName));
    assert.equal((await sys.call(await sys.token('read_only', 'crypt'), 'POST', '/codec/encode', sample)).status, 403);
  });

  it('encodes for Temporal Web (start, signal) and decodes back; refuses bad input and foreign keys with 4xx', async () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"note":"from Temporal Web"}').toString('base64') };
    const enc = await sys.call(system, 'POST', '/codec/encode', { payloads: [plain] });
    assert.equal(enc.status, 200, enc.text);
    assert.equal(Buffer.from(enc.json.payloads[0].metadata.encoding, 'base64').toString(), ENCRYPTED_ENCODING);
    assert.ok(!Buffer.from(enc.json.payloads[0].data, 'base64').toString().includes('Temporal Web'));
    const dec = await sys.call(system, 'POST', '/codec/decode', { payloads: enc.json.payloads });
    assert.deepEqual(dec.json.payloads, [plain]);

    const bad = await sys.call(system, 'POST', '/codec/decode', { payloads: [{ data: 'not base64!' }] });
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal(bad.json.errors[0].field, 'payloads.0.data');
    const foreign = { ...enc.json.payloads[0], metadata: { ...enc.json.payloads[0].metadata, 'encryption-key-id': Buffer.from('k1999').toString('base64') } };
    const unknown = await sys.call(system, 'POST', '/codec/decode', { payloads: [foreign] });
    assert.equal(unknown.status, 422);
    assert.match(unknown.json.detail, /key "k1999", which PAYLOAD_CODEC_KEYS does not list/);
  });

  it('answers the CORS preflight for TEMPORAL_WEB_URL\'s origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${sys.api}/codec/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' } });
    const ok = await preflight('http://temporal-web.test');
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://temporal-web.test');
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    const other = await preflight('https://evil.example');
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    // The answer itself carries the header for Temporal Web's origin, and not for another.
    const from = (origin: string) => call(system, 'POST', '/codec/decode', { payloads: [] }, { headers: { origin } });
    assert.equal((await from('http://temporal-web.test')).headers.get('access-control-allow-origin'), 'http://temporal-web.test');
    assert.equal((await from('https://evil.example')).headers.get('access-control-allow-origin'), null);
  });
});
