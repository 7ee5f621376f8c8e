import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { auditAs, type AuditTrail } from '../http/audit';
import { createToken, listTokens, revokeToken } from '../http/auth';
import { allAuditQuery, auditList, auditQuery, createTokenBody, tokenInfo, tokenListQuery, tokenParams, whoAmI } from '../http/routeSchemas';
import { notFound } from '../http/problem';
import type { ApiKit } from '../http/routeKit';
import { domainParams } from '../http/schemas';
import { scopeDomain } from './jobs';

/** The caller's own token (GET /me), tokens (system administrators only) and the audit trail. */
export function accessRoutes(kit: ApiKit, orm: MikroORM, audit: AuditTrail, links: { temporalWebUrl: string | null; namespace: string }): void {
  kit.route(
    { method: 'get', path: '/me', operationId: 'whoAmI', tag: 'Access', access: 'any', summary: "The token's own name, role and domain",
      description: 'What a client (the console) needs to show only what the token may do, and where Temporal Web is.',
      responses: { 200: { description: 'The caller.', schema: whoAmI } } },
    ({ principal }, _req, res) => {
      res.json({ name: principal.name, role: principal.role, domain: principal.domain ?? null, ...links });
    },
  );

  kit.route(
    { method: 'post', path: '/tokens', operationId: 'createToken', tag: 'Access', access: 'system', summary: 'Create a token',
      description: 'The token is in this response only; the server keeps its SHA-256 hash.',
      body: createTokenBody, responses: { 201: { description: 'The token, shown once.', schema: tokenInfo.extend({ token: z.string() }) } } },
    async ({ body }, _req, res) => {
      const { id, token } = await createToken(orm, body);
      auditAs(res, { domain: body.domain ?? null, target: `tokens/${id}`, detail: `${body.role} "${body.name}"` });
      const info = (await listTokens(orm)).find((t) => t.id === id)!;
      res.status(201).location(`/tokens/${id}`).json({ ...info, token });
    },
  );

  kit.route(
    { method: 'get', path: '/tokens', operationId: 'listTokens', tag: 'Access', access: 'system', summary: 'List tokens (never the tokens themselves)',
      query: tokenListQuery, responses: { 200: { description: 'Tokens, newest first.', schema: z.object({ items: z.array(tokenInfo) }) } } },
    async ({ query }, _req, res) => {
      res.json({ items: await listTokens(orm, { includeRevoked: query.includeRevoked === 'true' }) });
    },
  );

  kit.route(
    { method: 'delete', path: '/tokens/:tokenId', operationId: 'revokeToken', tag: 'Access', access: 'system', summary: 'Revoke a token',
      params: tokenParams, responses: { 204: { description: 'Revoked.' } } },
    async ({ params }, _req, res) => {
      const known = (await listTokens(orm)).find((t) => t.id === params.tokenId);
      auditAs(res, { domain: known?.domain ?? null, target: `tokens/${params.tokenId}` });
      if (!known || !(await revokeToken(orm, params.tokenId))) throw notFound(`Token ${params.tokenId}`);
      res.status(204).end();
    },
  );

  kit.route(
    { method: 'get', path: '/domains/:domain/audit', operationId: 'listDomainAudit', tag: 'Access', access: 'read', summary: "A domain's audit trail, newest first",
      description: 'Who (token name and role) changed or ran what, when, and the outcome.',
      params: domainParams, query: auditQuery, responses: { 200: { description: 'Audit entries.', schema: auditList } } },
    async ({ params, query }, _req, res) => {
      res.json(await audit.list({ ...query, domain: params.domain }));
    },
  );

  kit.route(
    { method: 'get', path: '/audit', operationId: 'listAudit', tag: 'Access', access: 'system', summary: 'The whole audit trail (system administrators)',
      query: allAuditQuery, responses: { 200: { description: 'Audit entries.', schema: auditList } } },
    async ({ query, principal }, _req, res) => {
      res.json(await audit.list({ ...query, domain: scopeDomain(principal, query.domain) }));
    },
  );
}
