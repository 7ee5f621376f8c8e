/**
 * Credentials belong in the secret store (io/secrets.ts), never in a job's URL,
 * where they would be stored in plain text and shown with the job. Pure rules, used when a
 * job is saved (refused with a pointer to the secrets endpoint), by the migration that moves
 * old ones out, and by the views (which never show one).
 *
 * What counts as a credential in a URL:
 * - a password in the user-info (`ftp://user:pass@host`). A user name alone is allowed: it
 *   is not a secret, FTP and HTTP Basic need one, and the password goes to the store.
 * - a query (or fragment) parameter whose decoded name, case-insensitively,
 *   CONTAINS password, passwd, token, secret, signature, credential or apikey
 *   (access_token, clientSecret, X-Amz-Signature, X-Amz-Security-Token, apikey), or
 *   HAS AS A WORD key, sig, pwd, pass or auth, words being split at non-letters/digits and
 *   at camelCase humps (api_key, apiKey, X-Api-Key, AWSAccessKeyId, sig; not monkey or design).
 *
 * Where they go: the password to the `password` secret; secret parameters, as
 * `name=value&…` in their order, to the `query` secret, which the https: destination appends
 * to the URL's query string when it connects (the receiver gets the same request as before).
 */

const CONTAINED = ['password', 'passwd', 'token', 'secret', 'signature', 'credential', 'apikey'];
const WORDS = new Set(['key', 'sig', 'pwd', 'pass', 'auth']);

const words = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/** Whether a query parameter's name says it carries a credential (rule in the header). */
export function isSecretParamName(name: string): boolean {
  const lower = name.toLowerCase();
  return CONTAINED.some((c) => lower.includes(c)) || words(name).some((w) => WORDS.has(w));
}

const parts = (u: URL) => [
  ['query', u.search] as const,
  ['fragment', u.hash] as const,
].map(([where, text]) => ({ where, params: [...new URLSearchParams(text.replace(/^[?#]/, ''))] }));

export interface UrlCredentials {
  /** The URL without them (the user name kept). */
  url: string;
  password?: string;
  /** The secret parameters, `name=value&…`, encoded as in a query string. */
  query?: string;
}

/** The URL's credentials and the URL without them; undefined if it is not a URL or has none. */
export function splitCredentials(url: string): UrlCredentials | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const secret = new URLSearchParams();
  for (const { where, params } of parts(u)) {
    const kept = new URLSearchParams();
    for (const [k, v] of params) (isSecretParamName(k) ? secret : kept).append(k, v);
    if (kept.size === params.length) continue;
    const text = kept.toString();
    if (where === 'query') u.search = text;
    else u.hash = text;
  }
  if (password === undefined && secret.size === 0) return undefined;
  u.password = '';
  return { url: u.toString(), password, query: secret.size ? secret.toString() : undefined };
}

/**
 * Why a job's URL is refused for the credentials it carries, naming the field and the
 * secrets endpoint to use instead (`secretsPath` is the job's …/secrets), or undefined.
 */
export function credentialsRefusal(field: string, url: string, secretsPath: string): string | undefined {
  const found = splitCredentials(url);
  if (!found) return undefined;
  const what: string[] = [];
  if (found.password !== undefined) what.push(`a password in the user-info (store it with PUT ${secretsPath}/password; a user name alone may stay in the URL)`);
  if (found.query) {
    const names = [...new URLSearchParams(found.query).keys()].join(', ');
    what.push(`secret-looking parameters (${names}) (store them with PUT ${secretsPath}/query as "name=value&…", or a bearer token with PUT ${secretsPath}/token)`);
  }
  return `${field} carries ${what.join(' and ')}. Credentials live only in the secret store; remove them from the URL.`;
}

/** The URL as anyone may see it: no user-info, secret parameters' values replaced by ***. */
export function redactUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//').replace(/[?#].*$/, '');
  }
  u.username = '';
  u.password = '';
  for (const { where, params } of parts(u)) {
    if (!params.some(([k]) => isSecretParamName(k))) continue;
    const text = new URLSearchParams(params.map(([k, v]): [string, string] => [k, isSecretParamName(k) ? '***' : v])).toString();
    if (where === 'query') u.search = text;
    else u.hash = text;
  }
  return u.toString();
}

/**
 * A source or destination in a few words for operators (Temporal Web summaries): a file's
 * name, a folder's name, or the scheme and host of a remote peer. Never a path's folders, a
 * user, a password or a query.
 */
export function placeInWords(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 'file:') {
    const parts = decodeURIComponent(parsed.pathname).split('/');
    const name = parts.pop() || parts.pop();
    return name ? (url.endsWith('/') ? `folder ${name}/` : name) : undefined;
  }
  return `${parsed.protocol.replace(':', '')} host ${parsed.hostname}`;
}
