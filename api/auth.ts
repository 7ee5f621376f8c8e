import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { RequestHandler } from 'express';
import { ApiTokenSchema, type ApiToken, type Role } from '../db/entities';
import { HttpError } from './problem';

/** Bearer tokens: random, shown once, stored as SHA-256 hashes. */

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
  domain?: string | null;
}

export const hashToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

export async function createToken(orm: MikroORM, input: { name: string; role: Role; domain?: string | null }): Promise<{ id: string; token: string }> {
  if (input.role !== 'system_admin' && !input.domain) throw new Error(`A ${input.role} token needs a domain.`);
  const token = `jf_${crypto.randomBytes(24).toString('base64url')}`;
  const em = orm.em.fork();
  const row = em.create(ApiTokenSchema, {
    id: crypto.randomUUID(), name: input.name, tokenHash: hashToken(token), role: input.role,
    domain: input.role === 'system_admin' ? null : input.domain, createdAt: new Date(),
  } as ApiToken);
  await em.persistAndFlush(row);
  return { id: row.id, token };
}

export async function revokeToken(orm: MikroORM, id: string): Promise<boolean> {
  const em = orm.em.fork();
  const row = await em.findOne(ApiTokenSchema, { id, revokedAt: null });
  if (!row) return false;
  row.revokedAt = new Date();
  await em.flush();
  return true;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export function authenticate(orm: MikroORM): RequestHandler {
  return async (req, _res, next) => {
    const m = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    if (!m) throw new HttpError(401, 'Unauthorized', 'Send a bearer token: Authorization: Bearer <token>.');
    const row = await orm.em.fork().findOne(ApiTokenSchema, { tokenHash: hashToken(m[1]!), revokedAt: null });
    if (!row) throw new HttpError(401, 'Unauthorized', 'The token is not valid.');
    req.principal = { tokenId: row.id, name: row.name, role: row.role, domain: row.domain };
    next();
  };
}

/**
 * Checks what the caller may do in a domain. Another domain's resources answer 404, not
 * 403, so their existence is not revealed.
 */
export function requireAccess(p: Principal | undefined, domain: string, action: 'read' | 'write'): Principal {
  if (!p) throw new HttpError(401, 'Unauthorized', 'Send a bearer token.');
  if (p.role !== 'system_admin' && p.domain !== domain) throw new HttpError(404, 'Not Found', `Domain ${domain} does not exist.`);
  if (action === 'write' && p.role === 'read_only') throw new HttpError(403, 'Forbidden', 'A read_only token cannot change anything.');
  return p;
}
