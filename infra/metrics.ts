import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The system's Prometheus metrics. The worker records runs, rows and durations as its
 * activities finish; the API serves its own process metrics. The Temporal SDK's metrics
 * are exported by the worker's Runtime on a port of their own (see worker/runtime.ts).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'jobflow_' });

export const runsTotal = new Counter({
  name: 'jobflow_runs_total', help: 'Finished runs by outcome', labelNames: ['outcome', 'task_type'] as const, registers: [registry],
});
export const rowsTotal = new Counter({
  name: 'jobflow_rows_total', help: 'Rows by what happened to them (read, inserted, updated, rejected, ...)', labelNames: ['kind'] as const, registers: [registry],
});
export const phaseDuration = new Histogram({
  name: 'jobflow_phase_duration_seconds', help: 'Duration of each run phase (one activity attempt)', labelNames: ['phase', 'result'] as const,
  buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600], registers: [registry],
});
export const scheduleLag = new Histogram({
  name: 'jobflow_schedule_lag_seconds', help: 'How late a scheduled run started against its schedule',
  buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [registry],
});
export const retentionDeleted = new Counter({
  name: 'jobflow_retention_deleted_total', help: 'Rows deleted by retention, by kind (runs, run_logs, rejected_rows, outbox)', labelNames: ['kind'] as const, registers: [registry],
});
export const missedSchedulesTotal = new Counter({
  name: 'jobflow_missed_schedules_total', help: 'Scheduled times that got no run of their own, by reason (README, Missed schedules)', labelNames: ['reason'] as const, registers: [registry],
});
export const activitiesInFlight = new Gauge({
  name: 'jobflow_activities_in_flight', help: 'Activities this worker is executing now (its share of the queue)', labelNames: ['activity'] as const, registers: [registry],
});

/** Serves /metrics on its own port (the worker has no other HTTP server). */
export function serveMetrics(host: string, port: number): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** A running import's progress, as its run detail shows it (domain/importProgress.ts); gone when the phase ends. */
export const importProgressGauge = new Gauge({
  name: 'jobflow_import_progress',
  help: 'A running import: rows_read, bytes_read, bytes_total, rows_per_second, reading_ends_seconds (Unix time), and phase_<name> = 1',
  labelNames: ['domain', 'job', 'run', 'measure'] as const, registers: [registry],
});
