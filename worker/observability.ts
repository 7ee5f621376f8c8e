import type { Context as ActivityContext } from '@temporalio/activity';
import { DefaultLogger, Runtime, makeTelemetryFilterString, type ActivityInboundCallsInterceptor, type LogLevel } from '@temporalio/worker';
import { logger, type Logger } from '../infra/logger';
import { activitiesInFlight, phaseDuration, rowsTotal, runsTotal, scheduleLag } from '../infra/metrics';

/** Which run phase each data activity of runs from before ONE_ACTIVITY_RUN_PATCH is (runPhases times its phases itself). */
const PHASE_OF: Record<string, string> = {
  validateImport: 'validating', processImport: 'processing', loadImport: 'importing',
  extractExport: 'extracting', deliverExport: 'delivering',
};

/**
 * Logs every activity with the ids operators search by, and turns finished runs into
 * metrics. One place, so activities themselves stay about their work.
 */
export function observeActivity(ctx: ActivityContext, baseLogger: Logger = logger): ActivityInboundCallsInterceptor {
  return {
    async execute(input, next) {
      const { activityType, attempt, workflowExecution, taskQueue } = ctx.info;
      const ref = (input.args[0] ?? {}) as { domain?: string; jobId?: string; runNumber?: number };
      const log = baseLogger.child({
        activity: activityType, attempt, taskQueue, workflowId: workflowExecution?.workflowId,
        domain: ref.domain, jobId: ref.jobId, runNumber: ref.runNumber,
      });
      const phase = PHASE_OF[activityType];
      if ((activityType === 'recordRunStart' || activityType === 'runPhases') && attempt === 1) recordScheduleLag(input.args[0] as { scheduledAt?: string });
      const startedAt = Date.now();
      const started = performance.now();
      activitiesInFlight.inc({ activity: activityType });
      let result: 'ok' | 'error' = 'error';
      try {
        const value = await next(input);
        result = 'ok';
        // A whole run (runPhases) starts and ends its record; earlier runs did so in activities of their own.
        if (activityType === 'recordRunEnd' || activityType === 'runPhases') recordRunMetrics(value as RunEnd, log);
        else if (activityType === 'runOnSchedule' || activityType === 'recordScheduledRunEnd') {
          // A run its Schedule started: counted when it ran (a time handed to the job is counted in the run the job starts).
          const run = value as { ran?: boolean; end?: RunEnd } | undefined;
          if (run?.end) recordRunMetrics(run.end, log);
          if (activityType === 'runOnSchedule' && run?.ran && attempt === 1) recordScheduleLag(input.args[0] as { scheduledAt?: string }, startedAt);
        } else log.debug('activity completed');
        return value;
      } catch (err) {
        const e = err as Error & { type?: string };
        log.warn({ failureType: e.type, error: e.message }, 'activity failed');
        throw err;
      } finally {
        activitiesInFlight.dec({ activity: activityType });
        if (phase) phaseDuration.observe({ phase, result }, (performance.now() - started) / 1000);
      }
    },
  };
}

interface RunEnd {
  outcome: string;
  reason?: string;
  counters: Record<string, number>;
  /** The counters under the names people read (exports: extracted, delivered); absent in older histories. */
  reported?: Record<string, number>;
}

/** How late a scheduled run started against its schedule (first attempt of the start record only). */
function recordScheduleLag({ scheduledAt }: { scheduledAt?: string }, startedAt = Date.now()): void {
  if (scheduledAt) scheduleLag.observe(Math.max(0, (startedAt - Date.parse(scheduledAt)) / 1000));
}

function recordRunMetrics(end: RunEnd, log: Logger): void {
  runsTotal.inc({ outcome: end.outcome });
  const counters = end.reported ?? end.counters;
  for (const [kind, n] of Object.entries(counters)) if (n) rowsTotal.inc({ kind }, n);
  log.info({ outcome: end.outcome, reason: end.reason, counters }, 'run ended');
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

/**
 * Once per process: the Temporal SDK's logs go to our JSON logger (warnings and up: its
 * info lines are bundler chatter), and its metrics to a Prometheus endpoint if a port is set.
 */
export function installRuntime(opts: { temporalMetricsPort?: number; metricsHost?: string } = {}): void {
  // An IPv6 address is bracketed in a socket address (host:port).
  const host = opts.metricsHost?.includes(':') ? `[${opts.metricsHost}]` : (opts.metricsHost ?? '127.0.0.1');
  const forward = new DefaultLogger('WARN', ({ level, message, meta }) => {
    const pinoLevel = PINO_LEVEL[level];
    logger[pinoLevel]({ sdk: true, ...meta }, message);
  });
  Runtime.install({
    logger: forward,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(opts.temporalMetricsPort ? { metrics: { prometheus: { bindAddress: `${host}:${opts.temporalMetricsPort}` } } } : {}),
    },
  });
}
