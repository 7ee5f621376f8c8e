import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { eventually } from '../setup/system';
import { batchJob, startApiSystem, type ApiSystem } from './helpers';

/**
 * Every endpoint × every role × own and other domain. The jobs live in domain acme; the
 * "other" tokens belong to globex. A read needs any token of the domain (or system_admin);
 * a write refuses read_only with 403; another domain's resources are 404; system endpoints
 * are for system_admin only; public ones need no token.
 */

type Caller = 'system' | 'acmeAdmin' | 'acmeReader' | 'otherAdmin' | 'otherReader' | 'anonymous';
const CALLERS: Caller[] = ['system', 'acmeAdmin', 'acmeReader', 'otherAdmin', 'otherReader', 'anonymous'];
type Access = 'public' | 'any' | 'read' | 'write' | 'system';

interface Row {
  op: string;
  method: string;
  path: (c: Caller) => string;
  access: Access;
  /** The status an allowed caller gets. */
  ok: number;
  body?: (c: Caller) => unknown;
  type?: string;
}

const EXPECTED: Record<Access, Record<Caller, 'ok' | number>> = {
  public: { system: 'ok', acmeAdmin: 'ok', acmeReader: 'ok', otherAdmin: 'ok', otherReader: 'ok', anonymous: 'ok' },
  any: { system: 'ok', acmeAdmin: 'ok', acmeReader: 'ok', otherAdmin: 'ok', otherReader: 'ok', anonymous: 401 },
  read: { system: 'ok', acmeAdmin: 'ok', acmeReader: 'ok', otherAdmin: 404, otherReader: 404, anonymous: 401 },
  write: { system: 'ok', acmeAdmin: 'ok', acmeReader: 403, otherAdmin: 404, otherReader: 404, anonymous: 401 },
  system: { system: 'ok', acmeAdmin: 403, acmeReader: 403, otherAdmin: 403, otherReader: 403, anonymous: 401 },
};

describe('API access matrix', () => {
  let api: ApiSystem;
  const tokens = {} as Record<Caller, string | undefined>;
  let spareTokenId: string;
  let opml: string;

  const J = '/domains/acme/jobs';
  const rows: Row[] = [
    { op: 'health', method: 'GET', path: () => '/health', access: 'public', ok: 200 },
    { op: 'ready', method: 'GET', path: () => '/ready', access: 'public', ok: 200 },
    { op: 'openapi', method: 'GET', path: () => '/openapi.json', access: 'public', ok: 200 },
    { op: 'docs', method: 'GET', path: () => '/docs', access: 'public', ok: 200 },
    { op: 'metrics', method: 'GET', path: () => '/metrics', access: 'public', ok: 200 },
    { op: 'listJobs', method: 'GET', path: () => J, access: 'read', ok: 200 },
    { op: 'whoAmI', method: 'GET', path: () => '/me', access: 'any', ok: 200 },
    { op: 'listTaskTypes', method: 'GET', path: () => '/task-types', access: 'any', ok: 200 },
    { op: 'previewSchedule', method: 'POST', path: () => '/schedule-preview', access: 'any', ok: 200, body: () => ({ mode: 'batch', direction: 'import', taskType: 'sectionsCsv', scheduling: { type: 'automatic' } }) },
    { op: 'listAllJobs', method: 'GET', path: () => '/jobs?domain=acme', access: 'read', ok: 200 },
    { op: 'createJob', method: 'POST', path: () => J, access: 'write', ok: 201, body: (c) => batchJob(`new-${c.toLowerCase()}`) },
    { op: 'runJobs', method: 'POST', path: () => `${J}/run`, access: 'write', ok: 200, body: () => ({ jobs: ['base', 'missing'] }) },
    { op: 'getJob', method: 'GET', path: () => `${J}/base`, access: 'read', ok: 200 },
    { op: 'updateJob', method: 'PATCH', path: () => `${J}/base`, access: 'write', ok: 200, body: (c) => ({ name: `Base by ${c}` }) },
    { op: 'deleteJob', method: 'DELETE', path: (c) => `${J}/del-${c.toLowerCase()}`, access: 'write', ok: 204 },
    { op: 'runJob', method: 'POST', path: () => `${J}/base/run`, access: 'write', ok: 202 },
    { op: 'sendJobEvent', method: 'POST', path: () => `${J}/ondemand/events`, access: 'write', ok: 202, body: () => ({ detail: 'file landed' }) },
    { op: 'pauseJob', method: 'POST', path: () => `${J}/pz/pause`, access: 'write', ok: 202, body: () => ({ note: 'matrix' }) },
    { op: 'reactivateJob', method: 'POST', path: () => `${J}/pz/reactivate`, access: 'write', ok: 202 },
    // The idle job has no run in progress: allowed callers are told so (409), others never learn it.
    { op: 'cancelRun', method: 'POST', path: () => `${J}/idle/cancel`, access: 'write', ok: 409 },
    { op: 'listRuns', method: 'GET', path: () => `${J}/base/runs?outcome=completed`, access: 'read', ok: 200 },
    { op: 'getRun', method: 'GET', path: () => `${J}/base/runs/1`, access: 'read', ok: 200 },
    { op: 'getRunLogs', method: 'GET', path: () => `${J}/base/runs/1/logs`, access: 'read', ok: 200 },
    { op: 'streamRunLogs', method: 'GET', path: () => `${J}/base/runs/1/logs/stream`, access: 'read', ok: 200 },
    { op: 'listMissedSchedules', method: 'GET', path: () => `${J}/base/missed?reason=merged,paused`, access: 'read', ok: 200 },
    { op: 'getRejectedRows', method: 'GET', path: () => `${J}/base/runs/1/rejected.csv`, access: 'read', ok: 200 },
    { op: 'exportSchedules', method: 'GET', path: () => '/domains/acme/schedules.opml', access: 'read', ok: 200 },
    { op: 'importSchedules', method: 'POST', path: () => '/domains/acme/schedules.opml', access: 'write', ok: 200, body: () => opml, type: 'text/x-opml' },
    { op: 'listDomainAudit', method: 'GET', path: () => '/domains/acme/audit', access: 'read', ok: 200 },
    { op: 'createToken', method: 'POST', path: () => '/tokens', access: 'system', ok: 201, body: (c) => ({ name: `made by ${c}`, role: 'read_only', domain: 'acme' }) },
    { op: 'listTokens', method: 'GET', path: () => '/tokens', access: 'system', ok: 200 },
    { op: 'revokeToken', method: 'DELETE', path: () => `/tokens/${spareTokenId}`, access: 'system', ok: 204 },
    { op: 'listAudit', method: 'GET', path: () => '/audit', access: 'system', ok: 200 },
    { op: 'codecDecode', method: 'POST', path: () => '/codec/decode', access: 'system', ok: 200, body: () => ({ payloads: [] }) },
    { op: 'codecEncode', method: 'POST', path: () => '/codec/encode', access: 'system', ok: 200, body: () => ({ payloads: [] }) },
    { op: 'sampleJob', method: 'POST', path: () => `${J}/base/sample`, access: 'write', ok: 200, body: () => readFileSync('samples/sections.csv', 'utf8'), type: 'text/csv' },
    { op: 'getSampling', method: 'GET', path: () => `${J}/base/sample`, access: 'read', ok: 200 },
    { op: 'acceptSample', method: 'POST', path: () => `${J}/base/sample/accept`, access: 'write', ok: 200, body: () => ({ rules: {} }) },
    { op: 'listSecrets', method: 'GET', path: () => `${J}/base/secrets`, access: 'read', ok: 200 },
    { op: 'setSecret', method: 'PUT', path: () => `${J}/base/secrets/password`, access: 'write', ok: 204, body: () => ({ value: 'matrix-secret' }) },
    { op: 'deleteSecret', method: 'DELETE', path: () => `${J}/base/secrets/token`, access: 'write', ok: 204 },
    { op: 'pauseJobs', method: 'POST', path: () => `${J}/pause`, access: 'write', ok: 200, body: () => ({ jobs: ['pz', 'missing'], note: 'matrix' }) },
    { op: 'reactivateJobs', method: 'POST', path: () => `${J}/reactivate`, access: 'write', ok: 200, body: () => ({ jobs: ['pz'] }) },
    // Last: every acme job paused, then reactivated.
    { op: 'pauseDomain', method: 'POST', path: () => '/domains/acme/pause', access: 'system', ok: 200, body: () => ({ note: 'matrix' }) },
    { op: 'reactivateDomain', method: 'POST', path: () => '/domains/acme/reactivate', access: 'system', ok: 200 },
  ];

  before(async () => {
    api = await startApiSystem();
    tokens.system = await api.sys.token('system_admin');
    tokens.acmeAdmin = await api.sys.token('domain_admin', 'acme');
    tokens.acmeReader = await api.sys.token('read_only', 'acme');
    tokens.otherAdmin = await api.sys.token('domain_admin', 'globex');
    tokens.otherReader = await api.sys.token('read_only', 'globex');
    tokens.anonymous = undefined;
    const spare = await api.call(tokens.system, 'POST', '/tokens', { name: 'spare', role: 'read_only', domain: 'acme' });
    spareTokenId = spare.json.id;
    const jobs = [
      batchJob('base'), batchJob('pz'), batchJob('idle'),
      batchJob('ondemand', { mode: 'on-demand' }),
      ...CALLERS.map((c) => batchJob(`del-${c.toLowerCase()}`)),
    ];
    for (const j of jobs) {
      const r = await api.call(tokens.acmeAdmin, 'POST', J, j);
      assert.equal(r.status, 201, r.text);
    }
    assert.equal((await api.call(tokens.acmeAdmin, 'POST', `${J}/base/run`)).status, 202);
    await eventually(async () => {
      const r = await api.call(tokens.acmeAdmin, 'GET', `${J}/base/runs/1`);
      return r.status === 200 && r.json.endedAt ? r.json : undefined;
    }, 'run 1 of base to end');
    // Only jobs that no row deletes: an import naming a missing job is refused.
    opml = (await api.call(tokens.acmeAdmin, 'GET', '/domains/acme/schedules.opml')).text
      .split('\n').filter((l) => !l.includes('<outline') || /jobId="(base|pz)"/.test(l)).join('\n');
  });
  after(async () => api?.stop());

  it('covers every operation of the OpenAPI document', async () => {
    const doc = (await api.call(undefined, 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, { operationId: string }>> };
    const documented = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId)).sort();
    assert.deepEqual([...new Set(rows.map((r) => r.op))].sort(), documented);
  });

  for (const row of rows) {
    it(`${row.op}: ${row.method} ${row.op === 'revokeToken' ? '/tokens/:tokenId' : row.path('system')} (${row.access})`, async () => {
      // Refused callers first, so an allowed call's side effects (a deletion, a revocation) cannot hide a refusal.
      const order = [...CALLERS].sort((a, b) => Number(EXPECTED[row.access][a] === 'ok') - Number(EXPECTED[row.access][b] === 'ok'));
      const seen: string[] = [];
      const want: string[] = [];
      for (const caller of order) {
        const r = await api.call(tokens[caller], row.method, row.path(caller), row.body?.(caller), { type: row.type });
        const expected = EXPECTED[row.access][caller];
        seen.push(`${caller}: ${r.status}`);
        want.push(`${caller}: ${expected === 'ok' ? row.ok : expected}`);
        if (r.status >= 400) assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/, `${caller}: ${r.text}`);
      }
      assert.deepEqual(seen, want);
    });
  }

  it('audits every change and run request with who, role, domain, action, target and outcome', async () => {
    const r = await api.call(tokens.system, 'GET', '/domains/acme/audit?limit=500');
    assert.equal(r.status, 200);
    const entries = r.json.items as { who: string; role: string; domain: string; action: string; target: string; outcome: string; httpStatus: number }[];
    const run = entries.filter((e) => e.action === 'runJob' && e.target === 'jobs/base/run');
    assert.ok(run.some((e) => e.role === 'domain_admin' && e.outcome === 'ok' && e.httpStatus === 202));
    assert.ok(run.some((e) => e.role === 'read_only' && e.outcome === 'refused' && e.httpStatus === 403));
    // Another domain's attempts are not in acme's trail (their token names are globex's business)...
    assert.ok(!entries.some((e) => e.who.endsWith('@globex')), 'a globex token appears in acme\'s trail');
    assert.ok(entries.every((e) => e.role === 'system_admin' || e.who.endsWith('@acme')), 'only acme tokens and system administrators');
    // ...but in the system-wide trail, without a domain, naming what was tried.
    const all = (await api.call(tokens.system, 'GET', '/audit?limit=500&action=runJob')).json.items as typeof entries;
    assert.ok(all.some((e) => e.who === 'domain_admin@globex' && e.httpStatus === 404 && e.domain === null && e.target.startsWith('domains/acme/jobs/base/run')));
    assert.ok(entries.some((e) => e.action === 'deleteJob' && e.target === 'jobs/del-acmeadmin' && e.outcome === 'ok'));
    assert.ok(entries.some((e) => e.action === 'importSchedules' && e.outcome === 'ok'));
    assert.ok(!entries.some((e) => e.action.startsWith('get') || e.action.startsWith('list')), 'reads are not audited');
  });
});
