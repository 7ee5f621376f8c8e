import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { temporalProblem } from './temporalProblem';

/** Errors the API answers as application/problem+json (RFC 9457). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export const notFound = (what: string) => new HttpError(404, 'Not Found', `${what} does not exist.`);

export interface FieldError {
  in: 'body' | 'query' | 'path';
  field: string;
  message: string;
}

/** A 400 naming each bad field. */
export const invalidRequest = (errors: FieldError[]) =>
  new HttpError(400, 'Invalid request', errors.map((e) => `${e.in} ${e.field}: ${e.message}`).join('; '), { errors });

/** Parses `value` with `schema` or throws a 400 naming each bad field by its path. */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'path'): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const errors = r.error.issues.flatMap((i): FieldError[] => {
    const at = i.path.map(String);
    // Unknown fields are named one by one, not as one issue on their parent.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ in: where, field: [...at, k].join('.'), message: 'unknown field' }));
    return [{ in: where, field: at.join('.') || '(root)', message: i.message }];
  });
  throw invalidRequest(errors);
}

/**
 * Every error as a problem. Errors of our own (HttpError), of the body parser and router (a
 * 4xx status of their own: bad JSON, an unknown Content-Encoding, a gzip body that is not
 * gzip) and of Temporal's client (api/http/temporalProblem.ts) are the client's to act on; anything
 * else is a 500 whose details stay in the log.
 */
export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const known = err instanceof HttpError ? err : (clientError(err, req.get('content-encoding')) ?? temporalProblem(err));
  if (!known) console.error(err);
  const { status, title, extra } = known ?? { status: 500, title: 'Internal Server Error', extra: {} as Record<string, unknown> };
  const detail = known ? known.message : 'Something went wrong; the error was logged.';
  if (typeof extra.retryAfter === 'number') res.set('Retry-After', String(extra.retryAfter));
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, detail, instance: req.originalUrl, ...extra });
};

/** A body-parser or router error with a 4xx status of its own, as an HttpError. */
function clientError(err: unknown, contentEncoding: string | undefined): HttpError | undefined {
  const e = err as { status?: unknown; type?: string; message?: string } | undefined;
  if (typeof e?.status !== 'number' || e.status < 400 || e.status > 499) return undefined;
  switch (e.type) {
    case 'entity.too.large':
      return new HttpError(413, 'Payload Too Large', 'The request body is too large.');
    case 'entity.parse.failed':
      return new HttpError(400, 'Invalid JSON', `The body is not valid JSON: ${e.message}`);
    case 'encoding.unsupported':
      return new HttpError(415, 'Unsupported Content-Encoding', `Content-Encoding "${contentEncoding}" is not supported; send the body as it is, or gzip, deflate or br.`);
    case 'charset.unsupported':
      return new HttpError(415, 'Unsupported charset', `${e.message}; send the body as UTF-8.`);
  }
  // A body that does not inflate as its Content-Encoding says (zlib's own error, no type).
  if (contentEncoding && !e.type) return new HttpError(400, 'Undecodable body', `The body is not valid ${contentEncoding} data (${e.message}); send it as it is, without Content-Encoding, or encoded as declared.`);
  return new HttpError(e.status, e.status === 400 ? 'Bad Request' : 'Client Error', e.message ?? 'The request was refused.');
}

export const notFoundHandler: RequestHandler = (req, _res, next) => next(new HttpError(404, 'Not Found', `No route for ${req.method} ${req.path}.`));
