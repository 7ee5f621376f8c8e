import express from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from '../infra/config';
import { authenticate } from './auth';
import { JobService } from './jobService';
import { notFoundHandler, problemHandler } from './problem';
import { jobRoutes } from './routes/jobs';
import { runRoutes } from './routes/runs';

export interface ApiDeps {
  orm: MikroORM;
  temporal: Client;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'RUN_RETRY_LIMIT' | 'RUN_RETRY_INTERVAL'>;
}

/** The admin API as an Express app (api/main.ts and the tests serve it). */
export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const checks: Record<string, string> = {};
    await deps.orm.em.getConnection().execute('select 1').then(() => (checks.postgres = 'ok'), (e: Error) => (checks.postgres = e.message));
    await deps.temporal.workflowService.getSystemInfo({}).then(() => (checks.temporal = 'ok'), (e: Error) => (checks.temporal = e.message));
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  });

  const service = new JobService(deps);
  app.use(authenticate(deps.orm));
  app.use(jobRoutes(service));
  app.use(runRoutes(deps.orm, service));
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
