import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { RequestHandler } from 'express';
import { ApiTokenSchema, type ApiToken, type Role } from '../../db/entities';
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
  /** Failed authentications allowed per client address, and per token prefix, within the window. */
  max: number;
  windowMs: number;
}

/** How many characters of a presented token key its failures ("jf_" and 9 random ones). */
export const TOKEN_PREFIX_LENGTH = 12;

/** Failures per key in fixed windows; a key past the limit is blocked until its window ends. */
class FailureWindows {
  private readonly windows = new Map<string, { failures: number; resetAt: number }>();
  constructor(private readonly limit: AuthFailureLimit, private readonly maxKeys = 10_000) {}

  /** Seconds to wait, or undefined if the key may try. */
  blockedFor(key: string, now: number): number | undefined {
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now || w.failures < this.limit.max) return undefined;
    return Math.ceil((w.resetAt - now) / 1000);
  }

  fail(key: string, now: number): void {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      this.windows.delete(key);
      w = { failures: 0, resetAt: now + this.limit.windowMs };
      this.windows.set(key, w);
      // Old windows are dropped as new ones open; past the bound, the oldest go first (insertion order).
      if (this.windows.size > this.maxKeys) for (const [k, v] of this.windows) if (v.resetAt <= now) this.windows.delete(k);
      for (const k of this.windows.keys()) {
        if (this.windows.size <= this.maxKeys) break;
        this.windows.delete(k);
      }
    }
    w.failures += 1;
  }
}

/**
 * Counts failed authentications per client address and per token prefix. A request with a
 * valid token is always served: others' failures (behind the same proxy, or guessing near a
 * real token) never lock its owner out. A request without a valid token from an address, or
 * with a token whose prefix, is past the limit gets 429 until the window ends, instead of 401.
 */
export class AuthFailureLimiter {
  private readonly byAddress: FailureWindows;
  private readonly byPrefix: FailureWindows;
  constructor(limit: AuthFailureLimit = { max: 10, windowMs: 60_000 }) {
    this.byAddress = new FailureWindows(limit);
    this.byPrefix = new FailureWindows(limit);
  }

  /** Seconds to wait and why, or undefined if a failed attempt may be answered 401. */
  blockedFor(ip: string, token: string | undefined, now = Date.now()): { wait: number; by: 'address' | 'token prefix' } | undefined {
    const byAddress = this.byAddress.blockedFor(ip, now);
    if (byAddress !== undefined) return { wait: byAddress, by: 'address' };
    const byPrefix = token ? this.byPrefix.blockedFor(token.slice(0, TOKEN_PREFIX_LENGTH), now) : undefined;
    return byPrefix !== undefined ? { wait: byPrefix, by: 'token prefix' } : undefined;
  }

  fail(ip: string, token: string | undefined, now = Date.now()): void {
    this.byAddress.fail(ip, now);
    if (token) this.byPrefix.fail(token.slice(0, TOKEN_PREFIX_LENGTH), now);
  }
}

export function authenticate(orm: MikroORM, limiter = new AuthFailureLimiter()): RequestHandler {
  return async (req, res, next) => {
    // Already authenticated by a codec session (api/routes/codec.ts, before the codec routes only).
    if (req.principal) return next();
    // req.ip: the socket's address, or with TRUST_PROXY set, the client the trusted proxies name.
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const token = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
    // Every request looks its token up (so a revocation holds at once): one indexed row, read without entity hydration.
    const [row] = token
      ? await orm.em.getConnection().execute<{ id: string; name: string; role: Role; domain: string | null }[]>(
          'select id, name, role, domain from api_tokens where token_hash = ? and revoked_at is null',
          [hashToken(token)],
          'all',
        )
      : [];
    if (row) {
      req.principal = { tokenId: row.id, name: row.name, role: row.role, domain: row.domain };
      return next();
    }
    const blocked = limiter.blockedFor(ip, token);
    if (blocked) {
      res.set('Retry-After', String(blocked.wait));
      throw new HttpError(429, 'Too Many Requests', `Too many failed authentications from this ${blocked.by}; try again in ${blocked.wait} s.`);
    }
    limiter.fail(ip, token);
    throw new HttpError(401, 'Unauthorized', token ? 'The token is not valid.' : 'Send a bearer token: Authorization: Bearer <token>.');
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
