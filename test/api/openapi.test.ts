import assert from 'node:assert/strict';
import { declareApi } from '../../api/app';
import { startSystem, type TestSystem } from '../setup/system';

/** The OpenAPI document is served without a token, is 3.1, and lists every route Express serves. */
interface Doc {
  openapi: string;
  info: { title: string };
  paths: Record<string, Record<string, { operationId: string; responses: object; parameters?: { in: string; name: string }[] }>>;
  components: { schemas: Record<string, unknown> };
}

describe('API contract: OpenAPI document and docs page', () => {
  let sys: TestSystem;
  before(async () => {
    sys = await startSystem();
  });
  after(async () => sys?.stop());

  const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

  it('serves an OpenAPI 3.1 document in which every path has operations with responses', async () => {
    const res = await fetch(`${sys.api}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Doc;
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof doc.info.title, 'string');
    const paths = Object.entries(doc.paths);
    assert.ok(paths.length >= 20, `only ${paths.length} paths`);
    const ids = new Set<string>();
    for (const [path, item] of paths) {
      assert.match(path, /^\//);
      assert.doesNotMatch(path, /:/, `${path} uses an Express parameter`);
      const ops = Object.keys(item).filter((k) => METHODS.includes(k));
      assert.ok(ops.length > 0, `${path} has no operations`);
      for (const m of ops) {
        const op = item[m]!;
        assert.ok(op.operationId && !ids.has(op.operationId), `${m} ${path}: operationId missing or repeated`);
        ids.add(op.operationId);
        assert.ok(Object.keys(op.responses).length > 0, `${m} ${path} has no responses`);
        // Every {param} in the path is declared as a path parameter.
        const declared = new Set((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
        for (const [, name] of path.matchAll(/\{(\w+)\}/g)) assert.ok(declared.has(name!), `${m} ${path}: path parameter ${name} not declared`);
      }
    }
    // Every $ref points at a component that exists.
    for (const [, ref] of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      assert.ok(doc.components.schemas[ref!], `missing schema ${ref}`);
    }
  });

  it('documents the fields added since: the sampling problems, in the job and in GET .../sample', async () => {
    const doc = (await (await fetch(`${sys.api}/openapi.json`)).json()) as Doc;
    const schema = (id: string) => doc.components.schemas[id] as { properties: Record<string, { type?: string; items?: { type: string } }>; required?: string[] };
    assert.deepEqual(schema('Job').properties.samplingProblems?.items, { type: 'string' });
    assert.ok(schema('Job').required?.includes('samplingProblems'));
    assert.deepEqual(Object.keys(schema('SamplingState').properties).sort(), ['problems', 'status']);
    assert.equal(doc.paths['/domains/{domain}/jobs/{jobId}/sample']!.get!.operationId, 'getSampling');
  });

  it('documents the operations added since: missed schedules, bulk and domain pause, the row-count guard and its warning', async () => {
    const doc = (await (await fetch(`${sys.api}/openapi.json`)).json()) as Doc;
    const op = (path: string, method: string) => doc.paths[path]?.[method] as { operationId?: string; requestBody?: unknown } | undefined;
    assert.equal(op('/domains/{domain}/jobs/{jobId}/missed', 'get')?.operationId, 'listMissedSchedules');
    assert.equal(op('/domains/{domain}/jobs/pause', 'post')?.operationId, 'pauseJobs');
    assert.equal(op('/domains/{domain}/jobs/reactivate', 'post')?.operationId, 'reactivateJobs');
    assert.equal(op('/domains/{domain}/pause', 'post')?.operationId, 'pauseDomain');
    assert.equal(op('/domains/{domain}/reactivate', 'post')?.operationId, 'reactivateDomain');
    const schema = (id: string) => doc.components.schemas[id] as { properties: Record<string, { description?: string }> };
    assert.ok(schema('Job').properties.missedSchedules, 'the job detail counts its missed schedules');
    assert.match(schema('Run').properties.warningsByKind?.description ?? '', /unusual_row_count/);
    // The guard's settings, with what each means, in the bodies that create and change a job.
    for (const method of ['post', 'patch']) {
      const path = method === 'post' ? '/domains/{domain}/jobs' : '/domains/{domain}/jobs/{jobId}';
      const body = JSON.stringify(op(path, method)?.requestBody);
      assert.match(body, /"rowCountGuard".*"belowPercent":\{[^}]*"description":"A run reading fewer rows/, `${method} ${path} documents the row-count guard`);
    }
  });

  it('lists every route registered in Express, and nothing else', async () => {
    const doc = (await (await fetch(`${sys.api}/openapi.json`)).json()) as Doc;
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const m of Object.keys(item)) if (METHODS.includes(m)) documented.add(`${m} ${path}`);
    }
    // The routes as Express holds them, read from the router's own layers.
    const { kit } = declareApi({ orm: sys.orm, temporal: sys.client, config: sys.config });
    const served = new Set<string>();
    for (const layer of kit.router.stack as { route?: { path: string; methods: Record<string, boolean> } }[]) {
      if (!layer.route) continue;
      for (const m of Object.keys(layer.route.methods)) served.add(`${m} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
    assert.ok(served.size >= 20);
    assert.deepEqual([...served].sort(), [...documented].sort());
  });

  it('serves a self-contained docs page generated from the document', async () => {
    const res = await fetch(`${sys.api}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script|https?:\/\/(?!127\.0\.0\.1)/i, 'the page loads nothing from elsewhere');
    for (const path of ['/domains/{domain}/jobs', '/tokens', '/domains/{domain}/schedules.opml', '/domains/{domain}/jobs/{jobId}/runs/{runNumber}/logs/stream']) {
      assert.ok(html.includes(`<code>${path}</code>`), `docs page lacks ${path}`);
    }
  });

  it('answers health and readiness without a token', async () => {
    assert.equal((await fetch(`${sys.api}/health`)).status, 200);
    const ready = await fetch(`${sys.api}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: object }).checks, { postgres: 'ok', temporal: 'ok' });
  });
});
