import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs for the API, the worker and activities. Lines carry the ids an
 * operator searches by (domain, jobId, runNumber, workflowId) as fields, never secrets.
 */
export const logger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: process.env.JOBFLOW_SERVICE ?? 'jobflow' },
  // Belt and braces: fields that could carry a credential are never written.
  redact: { paths: ['*.password', '*.token', '*.authorization', '*.secret', 'req.headers.authorization'], censor: '[redacted]' },
});

export type { Logger };
