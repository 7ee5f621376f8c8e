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

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  domain: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Tokens without their hashes, newest first. */
export async function listTokens(orm: MikroORM, opts: { includeRevoked?: boolean } = {}): Promise<TokenInfo[]> {
  const rows = await orm.em.fork().find(ApiTokenSchema, opts.includeRevoked ? {} : { revokedAt: null }, { orderBy: { createdAt: 'desc', id: 'asc' } });
  return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, domain: r.domain ?? null, createdAt: r.createdAt, revokedAt: r.revokedAt ?? null }));
}

export interface AuthFailureLimit {
  /** Failed authentications allowed per client address within the window. */
  max: number;
  windowMs: number;
}

/**
 * Counts failed authentications per client address in fixed windows. Once an address
 * passes the limit, every request from it is refused with 429 until the window ends, so a
 * guessed token cannot be confirmed either.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { failures: number; resetAt: number }>();
  constructor(private readonly limit: AuthFailureLimit = { max: 10, windowMs: 60_000 }) {}

  /** Seconds to wait, or undefined if the address may try. */
  blockedFor(ip: string, now = Date.now()): number | undefined {
    const w = this.windows.get(ip);
    if (!w || w.resetAt <= now) return undefined;
    return w.failures >= this.limit.max ? Math.ceil((w.resetAt - now) / 1000) : undefined;
  }

  fail(ip: string, now = Date.now()): void {
    let w = this.windows.get(ip);
    if (!w || w.resetAt <= now) {
      w = { failures: 0, resetAt: now + this.limit.windowMs };
      this.windows.set(ip, w);
      // Old windows are dropped as new ones open, so the map stays small.
      if (this.windows.size > 10_000) for (const [k, v] of this.windows) if (v.resetAt <= now) this.windows.delete(k);
    }
    w.failures += 1;
  }
}

export function authenticate(orm: MikroORM, limiter = new AuthFailureLimiter()): RequestHandler {
  return async (req, res, next) => {
    // req.ip: the socket's address, or with TRUST_PROXY set, the client the trusted proxies name.
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const wait = limiter.blockedFor(ip);
    if (wait !== undefined) {
      res.set('Retry-After', String(wait));
      throw new HttpError(429, 'Too Many Requests', `Too many failed authentications from this address; try again in ${wait} s.`);
    }
    const m = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    if (!m) {
      limiter.fail(ip);
      throw new HttpError(401, 'Unauthorized', 'Send a bearer token: Authorization: Bearer <token>.');
    }
    // Every request looks its token up (so a revocation holds at once): one indexed row, read without entity hydration.
    const [row] = await orm.em.getConnection().execute<{ id: string; name: string; role: Role; domain: string | null }[]>(
      'select id, name, role, domain from api_tokens where token_hash = ? and revoked_at is null',
      [hashToken(m[1]!)],
      'all',
    );
    if (!row) {
      limiter.fail(ip);
      throw new HttpError(401, 'Unauthorized', 'The token is not valid.');
    }
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
