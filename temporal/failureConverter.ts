import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces hold job names and file paths: they go into an encoded
 * payload (encrypted by the payload codec when keys are set) instead of the failure's plain
 * fields. Loaded by path (dataConverter.failureConverterPath), in the workflow bundle too.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
