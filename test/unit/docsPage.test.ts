import assert from 'node:assert/strict';
import { docsPage } from '../../api/http/docsPage';

/** The /docs sidebar shows every path whole, so routes that differ only at the end stay apart. */
describe('docs page sidebar', () => {
  const RUN_ROUTES = [
    '/domains/{domain}/jobs/{jobId}/runs/{runNumber}',
    '/domains/{domain}/jobs/{jobId}/runs/{runNumber}/logs',
    '/domains/{domain}/jobs/{jobId}/runs/{runNumber}/logs/stream',
    '/domains/{domain}/jobs/{jobId}/runs/{runNumber}/rejected.csv',
  ];
  const doc = {
    info: { title: 'jobflow', version: '1' },
    paths: Object.fromEntries(RUN_ROUTES.map((p, i) => [p, { get: { operationId: `op${i}`, summary: 's', responses: {} } }])),
  };
  const html = docsPage(doc);
  const nav = /<nav>([\s\S]*?)<\/nav>/.exec(html)![1]!;
  const links = [...nav.matchAll(/<a href="#(op\d)" title="([^"]*)">([\s\S]*?)<\/a>/g)];
  const text = (h: string) => h.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();

  it('lists each route with its whole path, distinct from the others', () => {
    assert.equal(links.length, 4);
    assert.deepEqual(links.map((l) => text(l[3]!)), RUN_ROUTES.map((p) => `GET ${p}`));
    assert.deepEqual(links.map((l) => l[2]), RUN_ROUTES.map((p) => `GET ${p}`));
  });

  it('lets a long path wrap at its slashes instead of being cut', () => {
    for (const [, , , inner] of links) {
      const code = /<code>([\s\S]*)<\/code>/.exec(inner!)![1]!;
      assert.equal(code.split('/<wbr>').length, code.split('/').length, code);
    }
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    assert.match(style, /nav a\{overflow-wrap:anywhere\}/);
    assert.doesNotMatch(style, /nowrap|text-overflow/);
  });
});
