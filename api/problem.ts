import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';

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

/** Parses `value` with `schema` or throws a 400 naming each bad field by its path. */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'path'): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const errors = r.error.issues.flatMap((i) => {
    const at = i.path.map(String);
    // Unknown fields are named one by one, not as one issue on their parent.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ in: where, field: [...at, k].join('.'), message: 'unknown field' }));
    return [{ in: where, field: at.join('.') || '(root)', message: i.message }];
  });
  throw new HttpError(400, 'Invalid request', errors.map((e) => `${e.in} ${e.field}: ${e.message}`).join('; '), { errors });
}

export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let status = 500;
  let title = 'Internal Server Error';
  let detail = 'Something went wrong; the error was logged.';
  let extra: Record<string, unknown> = {};
  if (err instanceof HttpError) {
    ({ status, title, extra } = err);
    detail = err.message;
  } else if (err?.type === 'entity.too.large') {
    status = 413; title = 'Payload Too Large'; detail = 'The request body is too large.';
  } else if (err?.type === 'entity.parse.failed') {
    status = 400; title = 'Invalid JSON'; detail = `The body is not valid JSON: ${err.message}`;
  } else {
    console.error(err);
  }
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, detail, instance: req.originalUrl, ...extra });
};

export const notFoundHandler: RequestHandler = (req, _res, next) => next(new HttpError(404, 'Not Found', `No route for ${req.method} ${req.path}.`));
