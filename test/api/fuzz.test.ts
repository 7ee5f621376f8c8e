import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { batchJob, startApiSystem, type ApiSystem } from './helpers';

/**
 * Every route of the OpenAPI document, every parameter, query field and body field (two
 * levels deep), each given hostile values (NUL, huge, wrong types, unicode, __proto__, arrays
 * for scalars, deep nesting), and every body sent broken (invalid JSON, wrong content type,
 * a false Content-Encoding): no answer is a 5xx, and every refusal is a problem document.
 */

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  oneOf?: Schema[];
}
interface Operation {
  operationId: string;
  parameters?: { in: 'path' | 'query'; name: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const D = 'fuzz';

/** A valid value of each path parameter, so each hostile one is tried with the others right. */
const BASE_PARAMS: Record<string, string> = { domain: D, jobId: 'base', runNumber: '1', tokenId: crypto.randomUUID(), kind: 'password' };

/** A valid body per operation (others take none), so each hostile field is tried alone. */
const baseBody = (op: string): Record<string, unknown> => {
  switch (op) {
    case 'createJob': return batchJob(`fz-${crypto.randomBytes(4).toString('hex')}`);
    case 'updateJob': return { name: 'Fuzzed' };
    case 'runJobs': return { jobs: ['base'] };
    case 'pauseJob': return { note: 'fuzz' };
    case 'sendJobEvent': return { detail: 'fuzz' };
    case 'createToken': return { name: 'fuzz', role: 'read_only', domain: D };
    case 'acceptSample': return { rules: {} };
    case 'setSecret': return { value: 'fuzz' };
    default: return {};
  }
};

/** Hostile path segments and query values, as they go on the wire (already encoded). */
const RAW_VALUES = [
  'a%00b', '%00', 'a'.repeat(5000), '%F0%9F%92%A9', '%C3%A9t%C3%A9', '%E2%80%AE', '__proto__', 'constructor', '%E0%A4%A', '%ZZ', '..', '%2e%2e%2f',
  '-1', '0', '99999999999999999999', '2147483648', '9223372036854775808', '1e400', 'NaN', 'Infinity', '0x1f', '%20', 'true', '[]', '{}',
];

/** Hostile JSON values for body fields. */
const deep = (n: number): unknown => (n === 0 ? 'x' : [deep(n - 1)]);
const JSON_VALUES: unknown[] = [
  'a\0b', 'x'.repeat(100_000), '💩', '\u202e', '\ud800', '', ' ', '__proto__', 42, -1, 1e308, 2 ** 53 + 1, 0.5, true, false, null, [], ['a', 'b'], {}, { __proto__: 1 },
  { a: { b: { c: 'd' } } }, deep(30), '../../etc/passwd', 'file:///etc/passwd', 'https://169.254.169.254/', '0 6 99 * *', 'Mars/Olympus',
];

/** Raw bodies that are not what a JSON route takes. */
const BROKEN_BODIES: { body: string | Buffer; type?: string; encoding?: string }[] = [
  { body: '{' }, { body: 'null' }, { body: '[]' }, { body: '"text"' }, { body: '123' }, { body: '{"__proto__":{"admin":true}}' },
  { body: '{"constructor":{"prototype":{"x":1}}}' }, { body: `${'['.repeat(50_000)}${']'.repeat(50_000)}` },
  { body: `{"a":"${'x'.repeat(2_000_000)}"}` }, { body: '{"a":"\\u0000"}' }, { body: '{"a":1,"a":2}' },
  { body: '{}', type: 'text/plain' }, { body: '<x/>', type: 'application/xml' }, { body: '--b\r\n\r\n--b--', type: 'multipart/form-data; boundary=b' },
  { body: '{}', type: 'application/json; charset=utf-16' }, { body: '{}', type: 'application/json; charset=klingon' },
  { body: '{}', encoding: 'gzip' }, { body: '{}', encoding: 'deflate' }, { body: '{}', encoding: 'br' }, { body: '{}', encoding: 'compress' },
  { body: zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)), encoding: 'gzip' }, // a small bomb: 64 MB inflated
  { body: Buffer.from([0xff, 0xfe, 0x00, 0x7b]) }, { body: '{"\u0000":1}' },
];

/** Property paths of a body schema, two levels deep ($refs resolved). */
function fieldPaths(schema: Schema | undefined, doc: Doc, depth = 2): string[][] {
  const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()!] : s);
  const s = resolve(schema);
  if (!s?.properties || depth === 0) return [];
  return Object.entries(s.properties).flatMap(([k, child]) => [[k], ...fieldPaths(child, doc, depth - 1).map((p) => [k, ...p])]);
}

const setPath = (obj: Record<string, unknown>, path: string[], value: unknown) => {
  const copy = structuredClone(obj);
  let at = copy as Record<string, unknown>;
  for (const k of path.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null || Array.isArray(at[k])) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[path.at(-1)!] = value;
  return copy;
};

describe('fuzzing every route: no 5xx', () => {
  let api: ApiSystem;
  let sys: string;
  let doc: Doc;
  const failures: string[] = [];
  let sent = 0;

  before(async () => {
    api = await startApiSystem();
    sys = await api.sys.token('system_admin');
    for (const id of ['base', 'base2']) assert.equal((await api.call(sys, 'POST', `/domains/${D}/jobs`, batchJob(id))).status, 201);
    doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as Doc;
  });
  after(async () => api?.stop());

  /** Sends one request; records it when the answer is a 5xx or a refusal that is not a problem document. */
  async function probe(label: string, method: string, path: string, init: { body?: string | Buffer; type?: string; encoding?: string; token?: string } = {}) {
    sent++;
    const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? sys}` };
    if (init.type) headers['content-type'] = init.type;
    if (init.encoding) headers['content-encoding'] = init.encoding;
    let status: number;
    let type: string;
    try {
      const res = await fetch(api.url + path, { method: method.toUpperCase(), headers, body: init.body });
      status = res.status;
      type = res.headers.get('content-type') ?? '';
      // A live log stream would stay open: its status is what counts.
      await (type.includes('event-stream') ? res.body?.cancel() : res.arrayBuffer());
    } catch (e) {
      failures.push(`${label}: ${method} ${path.slice(0, 200)}: request failed: ${(e as Error).message}`);
      return;
    }
    if (status >= 500) failures.push(`${label}: ${method} ${path.slice(0, 200)}: ${status}`);
    else if (status >= 400 && !type.includes('application/problem+json')) failures.push(`${label}: ${method} ${path.slice(0, 200)}: ${status} as ${type}`);
  }

  /** Runs the probes a few at a time (the API serves many clients at once). */
  async function all(probes: (() => Promise<void>)[]) {
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < probes.length) await probes[next++]!();
    }));
  }

  const routes = () =>
    Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

  const url = (path: string, params: Record<string, string>, query = '') =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? encodeURIComponent(BASE_PARAMS[name] ?? 'x')) + query;

  it('covers the routes of the OpenAPI document', () => {
    assert.ok(routes().length >= 30, `only ${routes().length} routes`);
  });

  it('answers hostile path parameters with no 5xx', async function () {
    this.timeout(10 * 60_000);
    const probes = routes().flatMap(({ path, method, op }) =>
      (op.parameters ?? []).filter((p) => p.in === 'path').flatMap((p) =>
        RAW_VALUES.map((v) => () => probe(`${op.operationId} path ${p.name}`, method, url(path, { [p.name]: v }), method === 'get' ? {} : { body: JSON.stringify(baseBody(op.operationId)), type: 'application/json' }))));
    await all(probes);
    assert.deepEqual(failures.splice(0), []);
  });

  it('answers hostile query values, repeated and unknown fields with no 5xx', async function () {
    this.timeout(10 * 60_000);
    const probes = routes().flatMap(({ path, method, op }) => {
      const names = [...(op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name), '__proto__', 'constructor', 'x[y]'];
      const body = method === 'get' ? {} : { body: JSON.stringify(baseBody(op.operationId)), type: 'application/json' };
      return names.flatMap((name) => [
        ...RAW_VALUES.map((v) => () => probe(`${op.operationId} query ${name}`, method, url(path, {}, `?${encodeURIComponent(name)}=${v}`), body)),
        () => probe(`${op.operationId} query ${name} twice`, method, url(path, {}, `?${name}=1&${name}=2`), body),
        () => probe(`${op.operationId} query ${name} nested`, method, url(path, {}, `?${name}[a][b]=1`), body),
      ]);
    });
    await all(probes);
    assert.deepEqual(failures.splice(0), []);
  });

  it('answers hostile body fields with no 5xx', async function () {
    this.timeout(15 * 60_000);
    const probes = routes().flatMap(({ path, method, op }) => {
      const json = op.requestBody?.content['application/json'];
      if (!json) return [];
      const paths = [...fieldPaths(json.schema, doc), ['__proto__'], ['bogus']];
      return paths.flatMap((field) =>
        JSON_VALUES.map((v) => () => {
          // JSON.stringify drops a __proto__ key set by assignment; write it as text instead.
          const body = field[0] === '__proto__' ? `{"__proto__":${JSON.stringify(v)}}` : JSON.stringify(setPath(baseBody(op.operationId), field, v));
          return probe(`${op.operationId} body ${field.join('.')}=${JSON.stringify(v)?.slice(0, 40)}`, method, url(path, {}), { body, type: 'application/json' });
        }));
    });
    await all(probes);
    assert.deepEqual(failures.splice(0), []);
  });

  it('answers broken bodies, wrong content types and false encodings with no 5xx', async function () {
    this.timeout(10 * 60_000);
    const probes = routes()
      .filter(({ method }) => method !== 'get')
      .flatMap(({ path, method, op }) =>
        BROKEN_BODIES.map((b, i) => () => probe(`${op.operationId} broken body ${i}`, method, url(path, {}), { body: b.body, type: b.type ?? 'application/json', encoding: b.encoding })));
    // The text routes (OPML, sample files) with text that is not what they read.
    for (const [path, type] of [[`/domains/${D}/schedules.opml`, 'text/x-opml'], [`/domains/${D}/jobs/base/sample`, 'text/csv']] as const) {
      for (const body of ['', '\0\0\0', '<opml><body><outline jobId="__proto__"/></body></opml>', `<!DOCTYPE x [<!ENTITY a "${'a'.repeat(1000)}">]><opml>&a;&a;&a;</opml>`, '<'.repeat(100_000), 'é,ü\n\ud800,\u202e', Buffer.from([0xff, 0xfe, 0, 0])]) {
        probes.push(() => probe(`text ${path}`, 'post', path, { body, type }));
      }
    }
    await all(probes);
    assert.deepEqual(failures.splice(0), []);
  });

  it('answers odd authorization with 401, never a 5xx', async () => {
    for (const token of ['x'.repeat(8000), '', 'jf_', 'jf_\u00e9', '%00', 'null']) await probe(`token ${token.slice(0, 10)}`, 'get', `/domains/${D}/jobs`, { token });
    for (const authorization of ['Bearer', 'Basic YTpi', 'Bearer a b', 'bearer jf_x']) {
      const r = await fetch(`${api.url}/domains/${D}/jobs`, { headers: { authorization } });
      assert.equal(r.status, 401, authorization);
    }
    assert.deepEqual(failures.splice(0), []);
  });

  it('sent thousands of requests in all', () => {
    assert.ok(sent > 3000, `only ${sent} requests`);
  });
});
