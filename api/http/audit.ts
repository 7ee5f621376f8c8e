import type { MikroORM } from '@mikro-orm/postgresql';
import type { RequestHandler, Response } from 'express';
import { AuditEntrySchema, type AuditEntry } from '../../db/entities';
import { identifier } from './schemas';

/**
 * The audit trail: every request that may change something or asks for a run (any method
 * but GET and HEAD) made with a valid token is recorded when its response is sent, with
 * its outcome, whether it succeeded or was refused.
 *
 * A domain's trail holds only what its own tokens and system administrators did in it. A
 * token's attempt on another domain (answered 404 as if that domain did not exist) goes to the
 * system-wide trail only, with no domain: the target domain's administrators never see
 * another domain's token names, and the attempt does not tell them the attacker exists.
 */

/** What a handler can tell the audit trail beyond the path: the domain or target it acted on. */
export function auditAs(res: Response, what: { domain?: string | null; target?: string; detail?: string }): void {
  Object.assign(res.locals, { audit: { ...(res.locals.audit as object | undefined), ...what } });
}

/** Text PostgreSQL stores (no NUL), bounded. */
const storable = (s: string, max: number) => s.replace(/\0/g, '\\0').slice(0, max);

/** A path segment decoded, or as it came when its percent-encoding is broken (the request was refused). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export class AuditTrail {
  /** Writes still in flight; readers wait for them so a client reads its own actions. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly orm: MikroORM) {}

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (req.method === 'GET' || req.method === 'HEAD') return next();
      res.once('finish', () => {
        const p = req.principal;
        if (!p) return; // unauthenticated requests are counted by the rate limiter instead
        const given = (res.locals.audit ?? {}) as { domain?: string | null; target?: string; detail?: string };
        const m = /^\/domains\/([^/]+)(?:\/(.*))?$/.exec(req.path);
        const status = res.statusCode;
        const named = given.domain !== undefined ? given.domain : m ? safeDecode(m[1]!) : (p.domain ?? null);
        // A path that names no valid domain was refused (400): the entry is system-wide, the path its target.
        const domain = named === null || identifier.safeParse(named).success ? named : null;
        const own = p.role === 'system_admin' || domain === p.domain;
        const recorded = own ? domain : null;
        const target = given.target ?? (m ? (m[2] ?? '') : req.path.replace(/^\//, ''));
        // Where the entry has no (or another) domain than the path named, the target says which it was.
        const fullTarget = recorded === named ? target : `domains/${named}/${target}${own ? '' : ` (not the token's domain ${p.domain})`}`;
        const entry: Omit<AuditEntry, 'id'> = {
          at: new Date(),
          tokenId: p.tokenId,
          tokenName: p.name,
          role: p.role,
          domain: recorded,
          action: storable((res.locals.operationId as string | undefined) ?? `${req.method} ${req.path}`, 200),
          target: storable(fullTarget, 500),
          outcome: status >= 500 ? 'error' : status >= 400 ? 'refused' : 'ok',
          httpStatus: status,
          detail: given.detail === undefined ? null : storable(given.detail, 1000),
        };
        const write = this.orm.em
          .fork()
          .insert(AuditEntrySchema, entry as AuditEntry)
          .catch((e: unknown) => console.error('audit write failed:', e))
          .finally(() => this.pending.delete(write));
        this.pending.add(write);
      });
      next();
    };
  }

  async list(filter: { domain?: string; action?: string; limit: number; offset: number }) {
    await Promise.all([...this.pending]);
    const where: Record<string, unknown> = {};
    if (filter.domain !== undefined) where.domain = filter.domain;
    if (filter.action) where.action = filter.action;
    const [rows, total] = await this.orm.em.fork().findAndCount(AuditEntrySchema, where, {
      orderBy: { at: 'desc', id: 'desc' }, limit: filter.limit, offset: filter.offset,
    });
    return {
      items: rows.map((r) => ({
        id: String(r.id), at: r.at, who: r.tokenName, tokenId: r.tokenId, role: r.role, domain: r.domain ?? null,
        action: r.action, target: r.target, outcome: r.outcome, httpStatus: r.httpStatus, detail: r.detail ?? null,
      })),
      total,
    };
  }
}
