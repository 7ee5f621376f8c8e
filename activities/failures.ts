import { ApplicationFailure } from '@temporalio/activity';
import { JobFailure } from '../io/jobFailure';

/** The I/O library's typed failure as the ApplicationFailure the workflows decide outcomes by. */
export function asActivityFailure(e: unknown): unknown {
  if (!(e instanceof JobFailure)) return e;
  const failure = ApplicationFailure.create({ message: e.message, type: e.type, nonRetryable: e.nonRetryable });
  failure.stack = e.stack;
  return failure;
}

type AsyncFns = Record<string, (...args: never[]) => Promise<unknown>>;

/** Every activity of `activities`, throwing ApplicationFailure where the I/O library threw a JobFailure. */
export function reportingJobFailures<T extends AsyncFns>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        throw asActivityFailure(e);
      }
    };
  }
  return wrapped as T;
}
