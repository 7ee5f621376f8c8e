import type { MikroORM } from '@mikro-orm/postgresql';
import type { RequestHandler, Response } from 'express';
import { AuditEntrySchema, type AuditEntry } from '../db/entities';

/**
 * The audit trail: every request that may change something or asks for a run (any method
 * but GET and HEAD) made with a valid token is recorded when its response is sent, with
 * its outcome, whether it succeeded or was refused.
 */

/** What a handler can tell the audit trail beyond the path: the domain or target it acted on. */
export function auditAs(res: Response, what: { domain?: string | null; target?: string; detail?: string }): void {
  Object.assign(res.locals, { audit: { ...(res.locals.audit as object | undefined), ...what } });
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
        const entry: Omit<AuditEntry, 'id'> = {
          at: new Date(),
          tokenId: p.tokenId,
          tokenName: p.name,
          role: p.role,
          domain: given.domain !== undefined ? given.domain : m ? decodeURIComponent(m[1]!) : (p.domain ?? null),
          action: (res.locals.operationId as string | undefined) ?? `${req.method} ${req.path}`,
          target: (given.target ?? (m ? (m[2] ?? '') : req.path.replace(/^\//, ''))).slice(0, 500),
          outcome: status >= 500 ? 'error' : status >= 400 ? 'refused' : 'ok',
          httpStatus: status,
          detail: given.detail?.slice(0, 1000) ?? null,
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
