/** A response as tests read it: status, parsed JSON (when it is JSON), raw text and headers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies freely
export type ApiResponse = { status: number; json: any; text: string; headers: Headers };

export type ApiCall = (
  token: string | undefined, method: string, url: string, body?: unknown, opts?: { type?: string; headers?: Record<string, string> },
) => Promise<ApiResponse>;

/** Calls the API at baseUrl with a bearer token; a string body is sent as it is, anything else as JSON. */
export function apiClient(baseUrl: string): ApiCall {
  return async (token, method, url, body, opts = {}) => {
    const send = () =>
      fetch(baseUrl + url, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': opts.type ?? 'application/json' }),
          ...opts.headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    // A kept-alive connection to an API that restarted fails once; reads are retried as a client would.
    const res = await send().catch((e) => (method === 'GET' ? send() : Promise.reject(e)));
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
}
