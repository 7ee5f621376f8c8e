import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs for the API, the worker and activities. Lines carry the ids an
 * operator searches by (domain, jobId, runNumber, workflowId) as fields, never secrets.
 */

let sink: { write(line: string): unknown } = process.stdout;

/** Where log lines go: stdout, or (in the tests) a buffer shown only for a test that fails. */
export function setLogSink(next: { write(line: string): unknown }): void {
  sink = next;
}

/** Its level is LOG_LEVEL: each entry point sets it from its configuration (`logger.level = config.LOG_LEVEL`). */
export const logger: Logger = pino(
  {
    level: 'info',
    base: { service: 'jobflow' },
    // Belt and braces: fields that could carry a credential are never written.
    redact: { paths: ['*.password', '*.token', '*.authorization', '*.secret', 'req.headers.authorization'], censor: '[redacted]' },
  },
  { write: (line: string) => sink.write(line) },
);

export type { Logger };
