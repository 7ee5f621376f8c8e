import { NativeConnection } from '@temporalio/worker';
import { connectionError } from '../temporal/connectionError';
import { connectionOptions, type TemporalTarget } from '../temporal/connection';

/**
 * The worker's connection to a target (the worker adds the data converter itself: createWorker's
 * payloadCodecKeys). It lives here, not in temporal/connection.ts, so that the API process, which
 * imports that module, never loads the worker SDK (test/unit/architecture.test.ts checks it).
 */
export function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(target)).catch(async (e) => Promise.reject(await connectionError(target, e)));
}
