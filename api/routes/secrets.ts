import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../../infra/config';
import { deleteSecret, listSecrets, SECRET_KINDS, secretsKey, setSecret } from '../../io/secrets';
import { auditAs } from '../http/audit';
import type { JobService } from '../commands/jobService';
import type { ApiKit } from '../http/routeKit';
import { jobParams } from '../http/schemas';

/**
 * A job's credentials (issue 6 §6; PRODUCT.md, Sources): write-only. A value goes in with PUT
 * and never comes out of the API: the list shows kinds and when each was set, the audit trail
 * records the kind only (it never stores bodies), and nothing here logs a body.
 */

const secretParams = jobParams.extend({ kind: z.enum(SECRET_KINDS) }).strict();
const secretBody = z.object({ value: z.string().min(1).max(4096) }).strict();
const secretList = z
  .object({ items: z.array(z.object({ kind: z.enum(SECRET_KINDS), updatedAt: z.string() })) })
  .meta({ id: 'SecretList', description: 'Which credentials a job has, never their values.' });

/** MikroORM's connection as the `query(text, $n params)` the secrets module expects. */
function queryable(orm: MikroORM) {
  return {
    query: async (text: string, params: unknown[]) => {
      const sql = text.replace(/\$(\d+)/g, '?');
      // Each $n is used once, in order (true of every statement in io/secrets.ts).
      const order = [...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
      if (order.some((n, i) => n !== i + 1)) throw new Error('positional parameters out of order');
      const r = (await orm.em.getConnection().getKnex().raw(sql, params as never[])) as { rows: never[]; rowCount: number | null };
      return { rows: r.rows, rowCount: r.rowCount };
    },
  } as unknown as Parameters<typeof setSecret>[0];
}

export function secretRoutes(kit: ApiKit, orm: MikroORM, service: JobService, config: Pick<Config, 'SECRETS_KEY'>): void {
  const tag = 'Secrets';
  const db = queryable(orm);

  kit.route(
    { method: 'get', path: '/domains/:domain/jobs/:jobId/secrets', operationId: 'listSecrets', tag, access: 'read', summary: "Which credentials a job has (never their values)",
      params: jobParams, responses: { 200: { description: 'Kinds and when each was set.', schema: secretList } } },
    async ({ params }, _req, res) => {
      const job = await service.find(params.domain, params.jobId);
      const items = await listSecrets(db, job.id);
      res.json({ items: items.map((s) => ({ kind: s.kind, updatedAt: new Date(s.updatedAt).toISOString() })) });
    },
  );

  kit.route(
    { method: 'put', path: '/domains/:domain/jobs/:jobId/secrets/:kind', operationId: 'setSecret', tag, access: 'write', summary: 'Set (or replace) a credential',
      description: 'Write-only: the value is encrypted at rest and never returned, logged or audited.',
      params: secretParams, body: secretBody, responses: { 204: { description: 'Stored.' } } },
    async ({ params, body }, _req, res) => {
      const job = await service.find(params.domain, params.jobId);
      await setSecret(db, secretsKey(config.SECRETS_KEY), job.id, params.kind, body.value);
      auditAs(res, { target: `jobs/${job.identifier}/secrets/${params.kind}` });
      res.status(204).end();
    },
  );

  kit.route(
    { method: 'delete', path: '/domains/:domain/jobs/:jobId/secrets/:kind', operationId: 'deleteSecret', tag, access: 'write', summary: 'Remove a credential',
      description: 'Idempotent: 204 whether or not the job had this credential.',
      params: secretParams, responses: { 204: { description: 'Removed (or there was none).' } } },
    async ({ params }, _req, res) => {
      const job = await service.find(params.domain, params.jobId);
      const existed = await deleteSecret(db, job.id, params.kind);
      auditAs(res, { target: `jobs/${job.identifier}/secrets/${params.kind}`, detail: existed ? 'removed' : 'there was none' });
      res.status(204).end();
    },
  );
}
