/**
 * The API as the console calls it. The token lives in this module's memory only (never in
 * storage or a cookie): no ambient credential means no cross-site request can act as the user,
 * and the API has one way to authenticate. A reload asks for the token again.
 */

let session = null; // { token, me }

export const currentUser = () => session?.me ?? null;

/** An answer the API refused: its problem document, with `errors` naming each bad field. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title ?? '';
    this.errors = problem?.errors ?? [];
  }
  /** The message for a field (`scheduling.timing.times`), or for any field below it. */
  forField(field) {
    const hit = this.errors.find((e) => e.field === field || e.field.startsWith(`${field}.`));
    return hit?.message;
  }
}

async function send(method, path, { body, type, token = session?.token, raw = false, signal } = {}) {
  const headers = { accept: 'application/json, application/problem+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    if (type) {
      headers['content-type'] = type;
      payload = body;
    } else {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  const res = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store' });
  if (!res.ok) {
    const problem = await res.json().catch(() => null);
    if (res.status === 401 && session && token === session.token) signOut();
    throw new ApiError(res.status, problem);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const api = {
  get: (path, opts) => send('GET', path, opts),
  post: (path, body, opts) => send('POST', path, { ...opts, body }),
  patch: (path, body) => send('PATCH', path, { body }),
  put: (path, body) => send('PUT', path, { body }),
  del: (path) => send('DELETE', path),
  raw: (method, path, opts) => send(method, path, { ...opts, raw: true }),
};

const listeners = new Set();
export const onSessionChange = (fn) => (listeners.add(fn), () => listeners.delete(fn));

export async function signIn(token) {
  const me = await send('GET', '/me', { token });
  session = { token, me };
  listeners.forEach((fn) => fn(me));
  return me;
}

export function signOut() {
  session = null;
  listeners.forEach((fn) => fn(null));
}

/** Path of a job's API resource. */
export const jobPath = (domain, id) => `/domains/${encodeURIComponent(domain)}/jobs/${encodeURIComponent(id)}`;

/** Saves a response body as a file (the download carries the token, so no plain link). */
export async function download(path, fallbackName) {
  const res = await api.raw('GET', path);
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Reads a Server-Sent Events stream with fetch (EventSource cannot send the token) and calls
 * onEvent({ event, data }) for each event. Resolves when the stream ends or `signal` aborts.
 */
export async function readEvents(path, onEvent, signal) {
  const res = await api.raw('GET', path, { signal });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length) onEvent({ event, data: JSON.parse(data.join('\n')) });
      }
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  }
}
