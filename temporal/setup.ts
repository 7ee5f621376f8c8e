import type { ConnectionLike } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes, missingSearchAttributes } from './searchAttributes';

/** What an operator runs to set a namespace up (the worker names it when something is missing). */
export const SETUP_COMMAND = 'npm run temporal:setup';

export class TemporalSetupError extends Error {}

/** gRPC status codes (the numbers are the protocol's). */
const grpcStatus = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12 } as const;
const hasCode = (e: unknown, ...codes: number[]) => isGrpcServiceError(e) && codes.includes(e.code);

/**
 * `npm run temporal:setup`: creates the namespace with its retention where the server allows it
 * (Temporal Cloud namespaces are made in Cloud), then registers the search attributes.
 * Returns what it did, a line each.
 */
export async function setupTemporal(connection: ConnectionLike, namespace: string, retentionDays: number): Promise<string[]> {
  const done: string[] = [];
  try {
    await connection.workflowService.describeNamespace({ namespace });
    done.push(`Namespace ${namespace}: exists (its retention is left as it is).`);
  } catch (e) {
    if (!hasCode(e, grpcStatus.NOT_FOUND)) throw e;
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(retentionDays * 86_400_000) });
    } catch (err) {
      if (!hasCode(err, grpcStatus.PERMISSION_DENIED, grpcStatus.UNIMPLEMENTED)) throw err;
      throw new TemporalSetupError(`Namespace ${namespace} does not exist and this server does not let us create it: create it where the cluster is managed (for Temporal Cloud, in Cloud), then run ${SETUP_COMMAND} again.`);
    }
    done.push(`Namespace ${namespace}: created, retention ${retentionDays} days.`);
  }
  const missing = await untilNamespaceServes(() => missingSearchAttributes(connection, namespace));
  await ensureSearchAttributes(connection, namespace);
  done.push(missing.length ? `Search attributes registered: ${missing.join(', ')}.` : 'Search attributes: all present.');
  return done;
}

/** A namespace just created is NOT_FOUND to some calls until the server's namespace cache refreshes. */
async function untilNamespaceServes<T>(call: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if (!hasCode(e, grpcStatus.NOT_FOUND) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * The worker's check at start: the namespace and every search attribute exist. Throws a
 * TemporalSetupError saying what is missing and what to run; resolves quietly otherwise.
 */
export async function checkTemporalSetup(connection: ConnectionLike, namespace: string): Promise<void> {
  let missing: string[];
  try {
    missing = await missingSearchAttributes(connection, namespace);
  } catch (e) {
    if (hasCode(e, grpcStatus.NOT_FOUND)) throw new TemporalSetupError(`Temporal namespace "${namespace}" does not exist. Run ${SETUP_COMMAND} (with the same TEMPORAL_* settings) first.`);
    throw e;
  }
  if (missing.length) {
    throw new TemporalSetupError(`Temporal namespace "${namespace}" lacks the search attributes ${missing.join(', ')}. Run ${SETUP_COMMAND} (with the same TEMPORAL_* settings) first.`);
  }
}
