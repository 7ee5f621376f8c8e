import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { registry } from '../../infra/metrics';
import { docsPage } from '../http/docsPage';
import type { ApiKit } from '../http/routeKit';

/** Health, readiness and the API's own documentation: no token needed. */
export function systemRoutes(kit: ApiKit, orm: MikroORM, temporal: Client): void {
  const tag = 'System';
  kit.route(
    { method: 'get', path: '/health', operationId: 'health', tag, access: 'public', summary: 'The process is up',
      responses: { 200: { description: 'Up.', schema: z.object({ status: z.literal('ok') }) } } },
    (_in, _req, res) => {
      res.json({ status: 'ok' });
    },
  );

  kit.route(
    { method: 'get', path: '/ready', operationId: 'ready', tag, access: 'public', summary: 'PostgreSQL and Temporal answer',
      responses: {
        200: { description: 'Ready.', schema: z.object({ status: z.string(), checks: z.record(z.string(), z.string()) }) },
        503: { description: 'Not ready; checks says which dependency failed.' },
      } },
    async (_in, _req, res) => {
      const checks: Record<string, string> = {};
      await orm.em.getConnection().execute('select 1').then(() => (checks.postgres = 'ok'), (e: Error) => (checks.postgres = e.message));
      await temporal.workflowService.getSystemInfo({}).then(() => (checks.temporal = 'ok'), (e: Error) => (checks.temporal = e.message));
      const ok = Object.values(checks).every((v) => v === 'ok');
      res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
    },
  );

  kit.route(
    { method: 'get', path: '/metrics', operationId: 'metrics', tag, access: 'public', summary: 'Prometheus metrics of this API process',
      responses: { 200: { description: 'Prometheus text format.', type: 'text/plain' } } },
    async (_in, _req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    },
  );

  // The document is built on first use, after every route has been declared.
  let doc: ReturnType<ApiKit['document']> | undefined;
  let html: string | undefined;
  kit.route(
    { method: 'get', path: '/openapi.json', operationId: 'openapi', tag, access: 'public', summary: 'This API as an OpenAPI 3.1 document',
      responses: { 200: { description: 'The document.', schema: z.object({ openapi: z.string() }).loose() } } },
    (_in, _req, res) => {
      doc ??= kit.document();
      res.json(doc);
    },
  );
  kit.route(
    { method: 'get', path: '/docs', operationId: 'docs', tag, access: 'public', summary: 'This API, browsable (HTML)',
      responses: { 200: { description: 'A self-contained page.', type: 'text/html' } } },
    (_in, _req, res) => {
      doc ??= kit.document();
      html ??= docsPage(doc);
      res.type('html').set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(html);
    },
  );
}
