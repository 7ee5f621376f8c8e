/**
 * A failure that decides a run's outcome by its type (domain/failures.ts). The I/O library
 * throws it without knowing Temporal; the worker's activity layer turns it into Temporal's
 * ApplicationFailure of the same type (activities/failures.ts), which the workflows read.
 */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly type: string,
    /** False: an activity retry may fix it (the I/O library's failures so far all say true). */
    readonly nonRetryable = true,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

export const jobFailure = (message: string, type: string): JobFailure => new JobFailure(message, type);
