import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { jobWorkflowId } from '../../contracts/workflowIds';
import { CODEC_SESSION_COOKIE } from '../../api/routes/codec';
import { ENCRYPTED_ENCODING } from '../../temporal/payloadCodec';
import { apiClient, type ApiCall } from '../setup/apiClient';
import { createJob } from '../setup/jobs';
import { startSystem, type TestSystem } from '../setup/system';

type PayloadJson = { metadata?: Record<string, string>; data?: string };
const WEB = 'http://temporal-web.test';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const text = (p: PayloadJson) => Buffer.from(p.data ?? '', 'base64').toString('utf8');

/**
 * The codec session: Temporal Web sends cookies (TEMPORAL_CODEC_INCLUDE_CREDENTIALS), not our
 * bearer token. A token that may read payloads opens a session; its cookie decodes for Temporal
 * Web's origin only, and nothing decodes once it expires, ends, or its token is revoked.
 */
describe('codec sessions (Temporal Web decoding with a cookie)', () => {
  let sys: TestSystem;
  let call: ApiCall;
  let system: string;
  const secretName = `Bursary ledger ${crypto.randomUUID().slice(0, 8)}`;
  let jobInput: PayloadJson;

  before(async () => {
    sys = await startSystem({ settings: { PAYLOAD_CODEC_KEYS: `k17:${crypto.randomBytes(32).toString('base64')}` } });
    call = apiClient(sys.api);
    system = await sys.token('system_admin');
    const admin = await sys.token('domain_admin', 'cookie');
    await createJob(sys, admin, 'cookie', { id: 'ledger', name: secretName, mode: 'batch', sourceUrl: `file://${sys.areaOf('cookie')}/ledger.csv` });
    // The job workflow's input, as Temporal Web reads it from the history: encrypted.
    const history = await sys.client.workflow.getHandle(jobWorkflowId('cookie', 'ledger')).fetchHistory();
    const p = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    jobInput = {
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data!).toString('base64'),
    };
    assert.equal(Buffer.from(jobInput.metadata!.encoding!, 'base64').toString(), ENCRYPTED_ENCODING);
    assert.ok(!text(jobInput).includes(secretName));
  });
  after(async () => sys?.stop());

  /** Opens a session with a token: the cookie's `name=value`, the response and its Set-Cookie. */
  const signIn = async (token: string) => {
    const res = await call(token, 'POST', '/codec/session');
    const setCookie = res.headers.get('set-cookie') ?? '';
    return { res, setCookie, cookie: setCookie.split(';')[0]! };
  };
  const decode = (headers: Record<string, string>) => call(undefined, 'POST', '/codec/decode', { payloads: [jobInput] }, { headers: { 'x-namespace': 'default', ...headers } });

  it('opens a session for a token that may read payloads: an HttpOnly, SameSite=Strict cookie on /codec that is not the token', async () => {
    const { res, setCookie, cookie } = await signIn(system);
    assert.equal(res.status, 201, res.text);
    assert.ok(!res.text.includes(system), 'the answer holds the token');
    assert.ok(!setCookie.includes(system), 'the cookie holds the token');
    assert.match(setCookie, new RegExp(`^${CODEC_SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    assert.match(setCookie, /; HttpOnly/i);
    assert.match(setCookie, /; SameSite=Strict/i);
    assert.match(setCookie, /; Path=\/codec(;|$)/);
    assert.doesNotMatch(setCookie, /; Secure/i, 'plain http here: Secure only over https');
    const maxAge = Number(/Max-Age=(\d+)/i.exec(setCookie)?.[1]);
    assert.equal(maxAge, 8 * 3600);
    assert.ok(Date.parse(res.json.expiresAt) - Date.now() > 7.9 * 3600_000);
    // The session's value is no bearer token anywhere else.
    assert.equal((await call(cookie.split('=')[1], 'GET', '/me')).status, 401);

    // A role that may not read payloads gets no session.
    const reader = await signIn(await sys.token('domain_admin', 'cookie'));
    assert.equal(reader.res.status, 403);
    assert.equal(reader.setCookie, '');
    assert.equal((await call(undefined, 'POST', '/codec/session')).status, 401);
  });

  it('decodes a workflow\'s input with the cookie from Temporal Web\'s origin, with CORS credentials for that origin only', async () => {
    const { cookie } = await signIn(system);
    const ok = await decode({ cookie, origin: WEB });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(text(ok.json.payloads[0]).includes(secretName), 'the job name is in the decoded input');
    assert.equal(ok.headers.get('access-control-allow-origin'), WEB);
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');

    const preflight = (origin: string) =>
      fetch(`${sys.api}/codec/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    const pre = await preflight(WEB);
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    const evilPre = await preflight('https://evil.example');
    assert.equal(evilPre.status, 403);
    assert.equal(evilPre.headers.get('access-control-allow-credentials'), null);

    // Another origin, or none, with the same cookie: refused, nothing decoded.
    for (const headers of [{ cookie, origin: 'https://evil.example' }, { cookie, origin: sys.api }, { cookie }] as Record<string, string>[]) {
      const r = await decode(headers);
      assert.equal(r.status, 403, `${JSON.stringify(headers.origin)}: ${r.text}`);
      assert.ok(!r.text.includes(secretName));
      assert.equal(r.headers.get('access-control-allow-credentials'), null);
    }
    // No cookie at all, or a made-up one: 401.
    assert.equal((await decode({ origin: WEB })).status, 401);
    assert.equal((await decode({ origin: WEB, cookie: `${CODEC_SESSION_COOKIE}=${crypto.randomBytes(32).toString('base64url')}` })).status, 401);
    // Encoding too (Temporal Web's start and signal forms).
    const enc = await call(undefined, 'POST', '/codec/encode', { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('"hi"') }] }, { headers: { cookie, origin: WEB } });
    assert.equal(enc.status, 200, enc.text);
    assert.equal(Buffer.from(enc.json.payloads[0].metadata.encoding, 'base64').toString(), ENCRYPTED_ENCODING);
  });

  it('refuses an expired session, one ended with DELETE /codec/session, and every session of a revoked token', async () => {
    // Expired (its time moved to the past, as 8 hours later).
    const expired = await signIn(system);
    await sys.db.query(`update codec_sessions set expires_at = now() - interval '1 second' where expires_at > now() + interval '7 hours' and created_at > now() - interval '5 seconds'`);
    const late = await decode({ cookie: expired.cookie, origin: WEB });
    assert.equal(late.status, 401);
    assert.match(late.json.detail, /sign in again at \/codec\/signin/);
    assert.match(late.headers.get('set-cookie') ?? '', new RegExp(`${CODEC_SESSION_COOKIE}=;`), 'the stale cookie is cleared');

    // Ended by its browser.
    const ended = await signIn(system);
    assert.equal((await decode({ cookie: ended.cookie, origin: WEB })).status, 200);
    const out = await call(undefined, 'DELETE', '/codec/session', undefined, { headers: { cookie: ended.cookie } });
    assert.equal(out.status, 204, out.text);
    assert.equal((await decode({ cookie: ended.cookie, origin: WEB })).status, 401);

    // Revoked: a token's two sessions both end when it is revoked.
    const made = await call(system, 'POST', '/tokens', { name: 'web operator', role: 'system_admin' });
    assert.equal(made.status, 201, made.text);
    const [one, two] = [await signIn(made.json.token), await signIn(made.json.token)];
    assert.equal((await decode({ cookie: one.cookie, origin: WEB })).status, 200);
    assert.equal((await call(system, 'DELETE', `/tokens/${made.json.id}`)).status, 204);
    for (const s of [one, two]) assert.equal((await decode({ cookie: s.cookie, origin: WEB })).status, 401);
  });

  it('serves a sign-in page with no script, whose form opens a session; the form from another origin is refused', async () => {
    const page = await fetch(`${sys.api}/codec/signin`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /form-action 'self'/);
    assert.doesNotMatch(csp, /script-src/);
    const html = await page.text();
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /<form method="post" action="\/codec\/session">/);
    assert.match(html, /name="token"/);

    const post = (token: string, origin: string) =>
      fetch(`${sys.api}/codec/session`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin }, body: new URLSearchParams({ token }).toString() });
    const ok = await post(system, sys.api);
    assert.equal(ok.status, 200);
    const body = await ok.text();
    assert.match(body, /Signed in/);
    assert.ok(!body.includes(system));
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal((await decode({ cookie, origin: WEB })).status, 200);

    const foreign = await post(system, 'https://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('set-cookie'), null);
    const wrong = await post('jf_not-a-token', sys.api);
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('content-type') ?? '', /text\/html/);
  });

  it("signs out with the pages' button: the session ends and its cookie is cleared; another origin's sign-out is refused", async () => {
    const signOutForm = /<form method="post" action="\/codec\/signout"><button type="submit">Sign out of this browser<\/button><\/form>/;
    assert.match(await (await fetch(`${sys.api}/codec/signin`)).text(), signOutForm);
    const signedIn = await fetch(`${sys.api}/codec/session`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: sys.api }, body: new URLSearchParams({ token: system }).toString(),
    });
    assert.match(await signedIn.text(), signOutForm, 'the signed-in page offers it');
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const signOut = (origin: string, withCookie = cookie) => fetch(`${sys.api}/codec/signout`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin, ...(withCookie ? { cookie: withCookie } : {}) }, body: '',
    });

    const foreign = await signOut('https://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('set-cookie'), null);
    assert.equal((await decode({ cookie, origin: WEB })).status, 200, 'still signed in');

    const out = await signOut(sys.api);
    assert.equal(out.status, 200);
    assert.match(out.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await out.text(), /codec session has ended/);
    assert.match(out.headers.get('set-cookie') ?? '', new RegExp(`^${CODEC_SESSION_COOKIE}=;.*Path=/codec`));
    assert.equal((await decode({ cookie, origin: WEB })).status, 401, 'the session is over');
    // Signing out again, or with no cookie at all, says so and changes nothing.
    const again = await signOut(sys.api, '');
    assert.equal(again.status, 200);
    assert.match(await again.text(), /had no codec session/);
  });
});
