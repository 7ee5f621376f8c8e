import express, { type RequestHandler } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from '../infra/config';
import { AuditTrail } from './http/audit';
import { authenticate, AuthFailureLimiter, type AuthFailureLimit } from './http/auth';
import { refuseDeepJson } from './http/inputGuards';
import { JobQueries } from './queries/jobQueries';
import { JobService, type ServiceDeps } from './commands/jobService';
import { notFoundHandler, problemHandler } from './http/problem';
import { ApiKit } from './http/routeKit';
import { accessRoutes } from './routes/access';
import { codecCors, codecRoutes, codecSessionAuth, codecSessionRouter } from './routes/codec';
import { consoleRouter } from './routes/console';
import { jobRoutes } from './routes/jobs';
import { missedScheduleRoutes } from './routes/missedSchedules';
import { runRoutes } from './routes/runs';
import { samplingRoutes } from './routes/sampling';
import { scheduleRoutes } from './routes/schedules';
import { secretRoutes } from './routes/secrets';
import { taskTypeRoutes } from './routes/taskTypes';
import { systemRoutes } from './routes/system';

export type ApiConfig = ServiceDeps['config'] & Pick<Config, 'TRUST_PROXY' | 'TEMPORAL_WEB_URL' | 'CODEC_SESSION_TTL' | 'FILE_READ_STALL_TIMEOUT' | 'SECRETS_KEY'>;

export interface ApiDeps {
  orm: MikroORM;
  temporal: Client;
  /**
   * Every setting the API uses, required (loadConfig() gives them all). TRUST_PROXY: Express's
   * `trust proxy` (undefined: off, so X-Forwarded-For is ignored).
   */
  config: ApiConfig;
  /** Failed authentications allowed per client address (default 10 a minute). */
  authFailureLimit?: AuthFailureLimit;
}

/** Every route of the API, declared once; the OpenAPI document comes from the same declarations. */
export function declareApi(deps: ApiDeps): { kit: ApiKit; audit: AuditTrail; authenticate: RequestHandler } {
  const auth = authenticate(deps.orm, new AuthFailureLimiter(deps.authFailureLimit));
  const kit = new ApiKit(auth);
  const service = new JobService(deps);
  const queries = new JobQueries(deps.orm, deps.temporal);
  const audit = new AuditTrail(deps.orm);
  systemRoutes(kit, deps.orm, deps.temporal);
  accessRoutes(kit, deps.orm, audit, { temporalWebUrl: deps.config.TEMPORAL_WEB_URL ?? null, namespace: deps.temporal.options.namespace });
  jobRoutes(kit, service, queries);
  taskTypeRoutes(kit);
  runRoutes(kit, deps.orm, service, queries);
  missedScheduleRoutes(kit, deps.orm, service);
  scheduleRoutes(kit, service);
  samplingRoutes(kit, deps.orm, service, deps.config);
  secretRoutes(kit, deps.orm, service, deps.config);
  codecRoutes(kit, deps.temporal);
  return { kit, audit, authenticate: auth };
}

/** The admin API as an Express app (api/main.ts and the tests serve it). */
export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip (the failed-authentication limiter's key) is the client behind the proxies trusted here.
  app.set('trust proxy', trustProxyValue(deps.config.TRUST_PROXY));
  // Before the body parser and the routes: preflights carry no token and no body.
  app.use('/codec', codecCors(deps.config.TEMPORAL_WEB_URL));
  // Temporal Web's browser sends a codec session cookie, not a token (before the routes check access).
  app.use('/codec', codecSessionAuth({ orm: deps.orm, temporalWebUrl: deps.config.TEMPORAL_WEB_URL }));
  // The console's static files: no token (the page signs in by calling the API), no body.
  app.use(consoleRouter());
  app.use(express.json({ limit: '1mb', verify: refuseDeepJson }));
  const { kit, audit, authenticate: auth } = declareApi(deps);
  app.use(audit.middleware());
  app.use(kit.router);
  // The codec sign-in (a browser's, beside the JSON API: not in the OpenAPI document).
  app.use(codecSessionRouter({ orm: deps.orm, temporalWebUrl: deps.config.TEMPORAL_WEB_URL, authenticate: auth, ttlMs: deps.config.CODEC_SESSION_TTL }));
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}

/**
 * TRUST_PROXY as Express takes it: unset, empty or false is off; true trusts every proxy; a
 * number is how many hops to trust; anything else names the proxies (addresses, subnets,
 * loopback/linklocal/uniquelocal, comma-separated).
 */
export function trustProxyValue(v: string | undefined): boolean | number | string {
  const s = v?.trim() ?? '';
  if (s === '' || s.toLowerCase() === 'false') return false;
  if (s.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(s)) return Number(s);
  return s;
}
