import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Role } from '../../db/entities';
import { durationInWords } from '../../domain/jobWords';
import { HttpError } from '../http/problem';
import type { ApiKit } from '../http/routeKit';

/**
 * Temporal's codec server protocol on the API, so that Temporal Web and the Temporal CLI
 * (pointed at <api>/codec) show operators plaintext payloads: POST /codec/decode and
 * /codec/encode take and give `{payloads: [...]}` in protobuf JSON (bytes as base64).
 *
 * System administrators only: one payload may belong to any domain, and nothing in it says
 * which, so only a token that may read every domain may read payloads.
 */

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64').refine((s) => s.length % 4 === 0, 'base64 (its length a multiple of 4)');
const payloadJson = z
  .object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })
  .strict()
  .meta({ id: 'Payload', description: 'A Temporal payload in protobuf JSON: metadata values and data in base64.' });
const payloadsJson = z.object({ payloads: z.array(payloadJson).max(10_000) }).strict();
type PayloadJson = z.infer<typeof payloadJson>;

const fromJson = (p: PayloadJson): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): PayloadJson => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRoutes(kit: ApiKit, temporal: Client): void {
  const codecs = temporal.options.loadedDataConverter.payloadCodecs;
  const steps = {
    // The codecs in the client's order to encode, the reverse to decode, as the SDK does.
    encode: async (ps: Payload[]) => { for (const c of codecs) ps = await c.encode(ps); return ps; },
    decode: async (ps: Payload[]) => { for (const c of [...codecs].reverse()) ps = await c.decode(ps); return ps; },
  };
  for (const op of ['decode', 'encode'] as const) {
    kit.route(
      { method: 'post', path: `/codec/${op}`, operationId: `codec${op[0]!.toUpperCase()}${op.slice(1)}`, tag: 'Codec', access: 'system',
        summary: op === 'decode' ? 'Decrypt Temporal payloads (codec server for Temporal Web and the CLI)' : 'Encrypt Temporal payloads (codec server for Temporal Web and the CLI)',
        description: 'Temporal codec server protocol. Payloads without our encryption are returned as they are. Temporal Web calls it from the browser: CORS is allowed for TEMPORAL_WEB_URL only.',
        body: payloadsJson,
        responses: {
          200: { description: `The payloads, ${op}d, in the same order.`, schema: payloadsJson },
          422: { description: 'A payload cannot be decrypted (a key PAYLOAD_CODEC_KEYS lacks, or altered data).' },
        } },
      async ({ body }, _req, res) => {
        let out: Payload[];
        try {
          out = await steps[op](body.payloads.map(fromJson));
        } catch (e) {
          throw new HttpError(422, 'Unprocessable payload', (e as Error).message);
        }
        res.json({ payloads: out.map(toJson) });
      },
    );
  }
}

/**
 * CORS for the codec routes: the browser at TEMPORAL_WEB_URL's origin may call them with a
 * bearer token or with its codec session cookie (Access-Control-Allow-Credentials, for that
 * origin only); a preflight from any other origin is refused.
 */
export function codecCors(temporalWebUrl: string | undefined): RequestHandler {
  const allowed = temporalWebUrl ? new URL(temporalWebUrl).origin : undefined;
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    const ok = origin !== undefined && origin === allowed;
    if (ok) res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    if (req.method !== 'OPTIONS') return next();
    if (!ok) return next(new HttpError(403, 'Forbidden', `Cross-origin calls to the codec server are allowed from TEMPORAL_WEB_URL's origin only${allowed ? ` (${allowed})` : ''}.`));
    res.set({
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  };
}

/**
 * Codec sessions: Temporal Web calls the codec server from the browser and sends cookies
 * (TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true), never our bearer token. An operator signs in once at
 * GET /codec/signin with a token that may read payloads; POST /codec/session then sets a cookie
 * (HttpOnly, SameSite=Strict, Path=/codec, Secure over https) holding a random session id: not
 * the token, and of no use outside /codec. Only the id's SHA-256 is stored, with the token that
 * signed in; every use joins the token, so revoking it ends its sessions. A session ends after
 * CODEC_SESSION_TTL or at DELETE /codec/session.
 *
 * With the cookie, /codec/encode and /codec/decode answer only requests whose Origin is
 * TEMPORAL_WEB_URL's (CORS with credentials for that origin alone); SameSite=Strict keeps the
 * cookie from being sent by pages of another site at all.
 */
export const CODEC_SESSION_COOKIE = 'jobflow_codec_session';

interface SessionOptions {
  orm: MikroORM;
  /** Temporal Web's URL (TEMPORAL_WEB_URL): the only origin a cookie-authenticated encode or decode is answered for. */
  temporalWebUrl: string | undefined;
  /** The API's authentication (bearer tokens, with its failure limiter). */
  authenticate: RequestHandler;
  /** CODEC_SESSION_TTL. */
  ttlMs: number;
}

const sessionHash = (id: string) => crypto.createHash('sha256').update(id).digest('hex');

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const ownOrigin = (req: Request) => `${req.protocol}://${req.get('host') ?? ''}`;
/** A form posted from another origin's page is refused (403, with `refusal`); one that sends no Origin is let through. */
function fromOwnPages(req: Request, refusal: string): void {
  const origin = req.get('origin');
  if (origin !== undefined && origin !== ownOrigin(req)) throw new HttpError(403, 'Forbidden', refusal);
}
const webOrigin = (url: string | undefined) => (url ? new URL(url).origin : undefined);

const setSessionCookie = (req: Request, res: Response, value: string, maxAgeMs: number) =>
  res.cookie(CODEC_SESSION_COOKIE, value, { httpOnly: true, sameSite: 'strict', path: '/codec', secure: req.secure, maxAge: maxAgeMs });
const clearSessionCookie = (req: Request, res: Response) =>
  res.clearCookie(CODEC_SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/codec', secure: req.secure });

/**
 * Before the codec routes: a request without an Authorization header but with a session cookie
 * is authenticated by its session (the routes then check its role as for a token). A cookie that
 * names no live session is 401 (and cleared); a cookie-authenticated encode or decode from
 * another origin than Temporal Web's is 403.
 */
export function codecSessionAuth(opts: Pick<SessionOptions, 'orm' | 'temporalWebUrl'>): RequestHandler {
  const allowed = webOrigin(opts.temporalWebUrl);
  return async (req, res, next) => {
    // Signing in is always with a token, whatever cookie the browser still holds.
    // Signing out ends the cookie's own session, live or not: the route reads the cookie itself.
    if (req.method === 'OPTIONS' || req.get('authorization') !== undefined || (req.method === 'POST' && (req.path === '/session' || req.path === '/signout'))) return next();
    const id = cookieOf(req, CODEC_SESSION_COOKIE);
    if (!id) return next();
    const [row] = await opts.orm.em.getConnection().execute<{ id: string; name: string; role: Role; domain: string | null }[]>(
      `select t.id, t.name, t.role, t.domain from codec_sessions s join api_tokens t on t.id = s.token_id
        where s.id_hash = ? and s.expires_at > now() and t.revoked_at is null`,
      [sessionHash(id)],
      'all',
    );
    if (!row) {
      clearSessionCookie(req, res);
      throw new HttpError(401, 'Unauthorized', 'The codec session has expired or ended (or its token was revoked): sign in again at /codec/signin.');
    }
    const origin = req.get('origin');
    const payloadRoute = req.path === '/decode' || req.path === '/encode';
    if (payloadRoute ? origin !== allowed : origin !== undefined && origin !== allowed && origin !== ownOrigin(req)) {
      throw new HttpError(403, 'Forbidden', `With a codec session, payloads are decoded and encoded for Temporal Web's origin only${allowed ? ` (${allowed})` : ''}; other callers send a bearer token.`);
    }
    req.principal = { tokenId: row.id, name: `${row.name} (codec session)`, role: row.role, domain: row.domain };
    res.locals.codecSession = sessionHash(id);
    next();
  };
}

/** The pages' sign-out button: a form, as the pages have no script. */
const SIGN_OUT_FORM = '<form method="post" action="/codec/signout"><button type="submit">Sign out of this browser</button></form>';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * No script at all, styles inline, the form posting to this API only, never framed. The referrer
 * policy is same-origin, not no-referrer: with no-referrer the browser sends the form's POST with
 * `Origin: null`, and the origin check could not tell this page from another site's.
 */
export const SIGNIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .set({ 'content-security-policy': SIGNIN_CSP, 'cache-control': 'no-store', 'referrer-policy': 'same-origin', 'x-content-type-options': 'nosniff' })
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}input{width:100%;padding:.4rem;margin:.5rem 0}button{padding:.4rem 1rem}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`);
}

/**
 * The session routes (not in the OpenAPI document: a browser's sign-in, beside the JSON API):
 * - GET /codec/signin: a page with a form posting a token to /codec/session;
 * - POST /codec/session: with `Authorization: Bearer` (JSON answer) or the form's `token` field
 *   (an HTML answer; the form must come from this API's own origin), a token whose role may read
 *   payloads (system_admin, as the codec routes) gets the cookie; the answer says until when and
 *   never holds the token;
 * - DELETE /codec/session: ends the cookie's session (or, with a bearer token and no cookie, every
 *   session of that token);
 * - POST /codec/signout: the pages' sign-out button (a form cannot send DELETE): ends the
 *   cookie's session and clears the cookie, from this API's own pages only.
 */
export function codecSessionRouter(opts: SessionOptions): Router {
  const ttl = opts.ttlMs;
  const web = opts.temporalWebUrl;
  const router = Router();

  router.get('/codec/signin', (_req, res) => {
    page(res, 200, 'Sign in to the codec server', `<p>Temporal Web${web ? ` (<a href="${esc(web)}">${esc(web)}</a>)` : ''} shows workflow payloads decrypted once this browser is signed in here. Paste an API token that may read payloads (a system_admin token). The browser keeps a session cookie for ${durationInWords(ttl)}, usable only by the codec server; the token itself is not kept.</p>
<form method="post" action="/codec/session"><label>API token <input type="password" name="token" autocomplete="off" required></label><button type="submit">Sign in</button></form>
${SIGN_OUT_FORM}`);
  });

  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 });
  /** The form's token becomes the request's bearer token, so it is checked (and limited) as every token is. */
  const fromForm: RequestHandler = (req, res, next) => {
    if (!req.is('application/x-www-form-urlencoded')) return next();
    res.locals.codecForm = true;
    fromOwnPages(req, 'The sign-in form is accepted from this API\'s own page only (/codec/signin).');
    const token = (req.body as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || !/^\S{1,200}$/.test(token.trim())) throw new HttpError(400, 'Invalid request', 'Paste an API token.');
    req.headers.authorization = `Bearer ${token.trim()}`;
    req.body = undefined;
    next();
  };

  router.post('/codec/session', form, fromForm, opts.authenticate, async (req, res) => {
    res.locals.operationId = 'codecSignIn';
    const p = req.principal!;
    if (p.role !== 'system_admin') throw new HttpError(403, 'Forbidden', 'Only a token that may read payloads (system_admin) may open a codec session.');
    const id = crypto.randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + ttl);
    const conn = opts.orm.em.getConnection();
    await conn.execute('delete from codec_sessions where expires_at <= now()');
    await conn.execute('insert into codec_sessions (id_hash, token_id, expires_at) values (?, ?, ?)', [sessionHash(id), p.tokenId, expiresAt]);
    setSessionCookie(req, res, id, ttl);
    res.set('cache-control', 'no-store');
    if (res.locals.codecForm) {
      return page(res, 200, 'Signed in', `<p>This browser may have payloads decoded until ${esc(expiresAt.toISOString().slice(0, 16).replace('T', ' '))} UTC (as ${esc(p.name)}).${web ? ` Open <a href="${esc(web)}">Temporal Web</a>.` : ''}</p>
${SIGN_OUT_FORM}`);
    }
    res.status(201).json({ expiresAt: expiresAt.toISOString(), tokenName: p.name, cookie: { name: CODEC_SESSION_COOKIE, path: '/codec' } });
  });

  router.delete('/codec/session', opts.authenticate, async (req, res) => {
    res.locals.operationId = 'codecSignOut';
    const conn = opts.orm.em.getConnection();
    const own = res.locals.codecSession as string | undefined;
    if (own) await conn.execute('delete from codec_sessions where id_hash = ?', [own]);
    else await conn.execute('delete from codec_sessions where token_id = ?', [req.principal!.tokenId]);
    clearSessionCookie(req, res);
    res.status(204).end();
  });

  router.post('/codec/signout', form, async (req, res) => {
    res.locals.codecForm = true;
    res.locals.operationId = 'codecSignOut';
    // SameSite=Strict keeps other sites' forms from sending the cookie; the origin check says so plainly.
    fromOwnPages(req, 'Signing out is accepted from this API\'s own pages only (/codec/signin).');
    const id = cookieOf(req, CODEC_SESSION_COOKIE);
    if (id) await opts.orm.em.getConnection().execute('delete from codec_sessions where id_hash = ?', [sessionHash(id)]);
    clearSessionCookie(req, res);
    page(res, 200, 'Signed out', `<p>${id ? 'This browser\'s codec session has ended' : 'This browser had no codec session'}: Temporal Web shows payloads encrypted until someone signs in again.</p><p><a href="/codec/signin">Sign in</a></p>`);
  });

  /** The form's failures as a page, not JSON, for the person at the browser. */
  router.use(['/codec/session', '/codec/signout'], ((err, _req, res, next) => {
    if (!res.locals.codecForm || !(err instanceof HttpError) || res.headersSent) return next(err);
    page(res, err.status, 'Not signed in', `<p>${esc(err.message)}</p><p><a href="/codec/signin">Try again</a></p>`);
  }) as ErrorRequestHandler);
  return router;
}
