import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { requireAccess, type Principal } from './auth';
import { pathEncodingGuard, refuseBadText } from './inputGuards';
import { HttpError, parseOr400 } from './problem';

/**
 * One declaration per endpoint: it validates the request, checks access and registers the
 * OpenAPI operation from the same zod schemas, so the document cannot drift from the routes.
 */

/**
 * Who may call an endpoint:
 * - `read`/`write`: a domain's resource (the path has :domain); another domain is a 404,
 *   and read_only tokens get 403 on writes;
 * - `any`: every valid token (the handler scopes what it shows);
 * - `system`: system administrators only;
 * - `public`: no token.
 */
export type Access = 'public' | 'any' | 'read' | 'write' | 'system';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
type AnyObject = z.ZodObject | z.ZodPipe;

export interface RouteSpec<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined> {
  method: Method;
  /** Express path, e.g. /domains/:domain/jobs/:jobId. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** A raw text body (OPML, CSV) instead of JSON: its media types and size bound. */
  textBody?: { types: string[]; limit: string; description: string };
  responses: Record<number, { description: string; schema?: z.ZodType; type?: string }>;
}

export interface Input<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RegisteredRoute {
  method: Method;
  path: string;
  openapiPath: string;
  operationId: string;
  access: Access;
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ in: z.enum(['body', 'query', 'path']), field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'An error (RFC 9457).' });

const toOpenApiPath = (p: string) => p.replace(/:(\w+)/g, '{$1}');

/** The body of a route that takes none: nothing, or `{}` (any field is refused by name). */
export const emptyBody = z.object({}).strict().meta({ id: 'EmptyBody', description: 'No fields: send no body, or {}.' });

/** Whether the request carries body bytes (a bodiless POST still sends Content-Length: 0). */
const hasBodyBytes = (req: Request) => req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;

const standardErrors = (access: Access, hasInput: boolean, method: Method) => {
  const out: Record<number, string> = {};
  if (hasInput) out[400] = 'A parameter or the body is invalid (NUL characters, broken encodings and unknown fields too); each bad field is named.';
  if (method !== 'get') out[415] = 'The body is not of the declared media type, or its Content-Encoding is unknown.';
  if (access === 'read' || access === 'write') out[503] = 'Temporal is unreachable or overloaded; try again after Retry-After seconds.';
  if (access !== 'public') out[401] = 'No valid bearer token.';
  if (access !== 'public') out[429] = 'No valid token, after too many failed authentications from this address or with tokens that start like this one.';
  if (access === 'write' || access === 'system') out[403] = 'The token may not do this.';
  if (access === 'read' || access === 'write') out[404] = 'The domain or the resource does not exist for this token.';
  return out;
};

export class ApiKit {
  readonly router = Router();
  readonly registry = new OpenAPIRegistry();
  readonly routes: RegisteredRoute[] = [];

  /** `authenticate` runs before every route but the public ones. */
  constructor(private readonly authenticate: RequestHandler) {
    this.registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
    this.router.use(pathEncodingGuard(() => this.routes.map((r) => r.path)));
  }

  route<P extends AnyObject | undefined = undefined, Q extends AnyObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<P, Q, B>,
    handler: (input: Input<Out<P>, Out<Q>, Out<B>>, req: Request, res: Response) => unknown,
  ): void {
    const openapiPath = toOpenApiPath(spec.path);
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType | object }> }> = {};
    for (const [code, r] of Object.entries(spec.responses)) {
      responses[code] = { description: r.description, ...(r.schema || r.type ? { content: { [r.type ?? 'application/json']: { schema: r.schema ?? { type: 'string' } } } } : {}) };
    }
    for (const [code, description] of Object.entries(standardErrors(spec.access, !!(spec.params || spec.query || spec.body || spec.textBody) || spec.method !== 'get', spec.method))) {
      responses[code] ??= { description, content: { 'application/problem+json': { schema: problemSchema } } };
    }
    this.registry.registerPath({
      method: spec.method,
      path: openapiPath,
      operationId: spec.operationId,
      summary: spec.summary,
      description: [spec.description, `Access: ${spec.access}.`].filter(Boolean).join('\n\n'),
      tags: [spec.tag],
      security: spec.access === 'public' ? [] : [{ bearer: [] }],
      request: {
        params: spec.params,
        query: spec.query,
        body: spec.textBody
          ? { required: true, description: spec.textBody.description, content: Object.fromEntries(spec.textBody.types.map((t) => [t, { schema: { type: 'string' } }])) }
          : spec.body
            ? { required: true, content: { 'application/json': { schema: spec.body } } }
            : spec.method === 'get'
              ? undefined
              : { required: false, description: 'None: this route takes no fields.', content: { 'application/json': { schema: emptyBody } } },
      },
      responses,
    });
    this.routes.push({ method: spec.method, path: spec.path, openapiPath, operationId: spec.operationId, access: spec.access });

    const middleware: RequestHandler[] = spec.access === 'public' ? [] : [this.authenticate];
    if (spec.textBody) middleware.push(express.text({ type: spec.textBody.types, limit: spec.textBody.limit }));
    this.router[spec.method](spec.path, ...middleware, async (req: Request, res: Response) => {
      res.locals.operationId = spec.operationId;
      refuseBadText(req.params, 'path');
      const params = spec.params ? parseOr400(spec.params, req.params, 'path') : undefined;
      const principal = checkAccess(spec.access, req.principal, (params as { domain?: string } | undefined)?.domain);
      refuseBadText(req.query, 'query');
      const query = parseOr400(spec.query ?? z.object({}).strict(), req.query, 'query');
      let body: unknown;
      if (spec.textBody) {
        if (typeof req.body !== 'string') throw new HttpError(415, 'Unsupported Media Type', `Send the body as ${spec.textBody.types.join(' or ')}.`);
        body = req.body;
      } else {
        // A JSON route (an empty body is JSON's {}): a body of another type is refused, not ignored.
        if (req.body === undefined && hasBodyBytes(req)) throw new HttpError(415, 'Unsupported Media Type', 'Send the body as application/json.');
        refuseBadText(req.body, 'body');
        body = parseOr400(spec.body ?? emptyBody, req.body ?? {}, 'body');
        if (!spec.body) body = undefined;
      }
      await handler({ params, query, body, principal } as Input<Out<P>, Out<Q>, Out<B>>, req, res);
    });
  }

  /** The OpenAPI 3.1 document of every route declared so far. */
  document(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
    return new OpenApiGeneratorV31(this.registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: {
        title: 'jobflow admin API',
        version: '0.1.0',
        description: 'Durable import and export jobs: define, schedule, run, pause and observe them. Errors are application/problem+json (RFC 9457).',
      },
    });
  }
}

function checkAccess(access: Access, p: Principal | undefined, domain: string | undefined): Principal {
  if (access === 'public') return p as Principal;
  if (!p) throw new HttpError(401, 'Unauthorized', 'Send a bearer token.');
  if (access === 'any') return p;
  if (access === 'system') {
    if (p.role !== 'system_admin') throw new HttpError(403, 'Forbidden', 'Only a system_admin token may do this.');
    return p;
  }
  if (!domain) throw new Error(`A ${access} route needs a :domain path parameter.`);
  return requireAccess(p, domain, access);
}
