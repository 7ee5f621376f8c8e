import {
  ApplicationFailure, isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { REQUEST_EXPIRED, REQUEST_REFUSED } from '../../contracts/messages';
import { ScheduleSpecRefusedError } from '../../temporal/schedules';
import { HttpError } from './problem';

/**
 * Temporal client errors as problems (the error handler's one place for them): what Temporal
 * refused as an invalid argument is the request's fault (422, naming the field when the message
 * says which), an unreachable or overloaded Temporal is a 503 the client may retry, and a job
 * workflow that is gone is a conflict the administrator can resolve.
 */

/** gRPC status codes (grpc.io/docs/guides/status-codes), as Temporal's client reports them. */
const GrpcStatus = { DEADLINE_EXCEEDED: 4, INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

/** Which field of a job a Temporal INVALID_ARGUMENT message is about, by its words. */
const FIELD_BY_WORDS: [RegExp, string][] = [
  [/time ?zone|location/i, 'timezone'],
  [/cron|calendar/i, 'scheduling.timing.expression'],
  [/interval/i, 'scheduling.timing'],
];

function grpcCause(err: unknown): { code: number; details: string } | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return { code: e.code, details: e.details || e.message };
  }
  return undefined;
}

/** What Temporal refused as invalid: a 422 naming the field when its message says which. */
function invalidArgument(details: string): HttpError {
  const field = FIELD_BY_WORDS.find(([words]) => words.test(details))?.[1];
  return new HttpError(422, 'Refused by Temporal', `${field ? `${field}: ` : ''}Temporal refused the request: ${details}`, field ? { errors: [{ in: 'body', field, message: details }] } : {});
}

/** The problem for a Temporal client error, or undefined when `err` is not one. */
export function temporalProblem(err: unknown): HttpError | undefined {
  if (err instanceof WorkflowNotFoundError) {
    return new HttpError(409, 'Job not running', 'The job workflow is not running; update the job to restart it.');
  }
  if (err instanceof ScheduleSpecRefusedError) return invalidArgument(err.message);
  const grpc = grpcCause(err);
  if (!grpc) return undefined;
  switch (grpc.code) {
    case GrpcStatus.INVALID_ARGUMENT:
      return invalidArgument(grpc.details);
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new HttpError(503, 'Temporal unreachable', 'Temporal is unreachable or did not answer in time; try again shortly.', { retryAfter: 5 });
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new HttpError(503, 'Temporal busy', 'Temporal is overloaded and refused the request; try again shortly.', { retryAfter: 5 });
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.FAILED_PRECONDITION:
      return new HttpError(409, 'Conflict in Temporal', `Temporal refused the request: ${grpc.details}`);
    case GrpcStatus.NOT_FOUND:
      return new HttpError(409, 'Job not running', `Temporal does not know this job's workflow or schedule (${grpc.details}); update the job to restart it.`);
    default:
      return undefined;
  }
}

/** How the API asked a job workflow with an update: what its refusal is called, how long it waited. */
export interface UpdateAsked {
  /** The problem's title for a refusal by the job's rules ("Run refused"). */
  refusedTitle: string;
  timeoutMs: number;
  expiresAt: string;
}

/**
 * The problem for an update to a job workflow that did not succeed, or undefined when `err` is
 * no Temporal error: a refusal by the job's rules is a 409 with the workflow's own reason; a
 * request no worker took in time is a 503, and, as it expired unapplied, nothing changed.
 */
export function updateProblem(err: unknown, asked: UpdateAsked): HttpError | undefined {
  const seconds = `${asked.timeoutMs / 1000} s`;
  const unchanged = 'Nothing was changed: the request has expired, so the job will not act on it when a worker comes; try again.';
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new HttpError(503, 'No worker answered',
      `No worker took the request within ${seconds} (no worker is running, or all are busy; or Temporal is unreachable). ${unchanged}`, { retryAfter: 5 });
  }
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === REQUEST_REFUSED) return new HttpError(409, asked.refusedTitle, cause.message);
    if (cause.type === REQUEST_EXPIRED) {
      // Refused as expired while the API still waited: the worker took it late, or the Temporal
      // server's clock is ahead of the API's.
      const clocks = Date.now() < Date.parse(asked.expiresAt) ? " The Temporal server's clock is ahead of the API's; check both machines' time." : '';
      return new HttpError(503, 'No worker answered', `No worker took the request before it expired (${asked.expiresAt}).${clocks} ${unchanged}`, { retryAfter: 5 });
    }
    // A worker from before these updates existed (workers are deployed before the API).
    if (cause.message.startsWith('No registered handler for update')) {
      return new HttpError(503, 'Worker out of date', `The worker that runs this job does not know this request yet (${cause.message}); nothing was changed. Update the workers, then try again.`, { retryAfter: 30 });
    }
  }
  return temporalProblem(err);
}
