import { isGrpcServiceError } from '@temporalio/client';
import { temporalSettings } from '../infra/config';
import type { TemporalCluster } from '../infra/temporalCluster';
import { connectClient, type TemporalTarget } from './connection';
import { setupTemporal } from './setup';

/** gRPC UNAVAILABLE: a frontend whose port answers before its services have joined. */
const UNAVAILABLE = 14;

/** The target for a cluster we started: its mTLS client settings, read the standard way (envconfig). */
export function clusterTarget(cluster: TemporalCluster, namespace: string): TemporalTarget {
  const settings = temporalSettings({ ...cluster.clientEnv, TEMPORAL_NAMESPACE: namespace });
  return { ...settings, address: cluster.address };
}

/**
 * Sets a freshly started cluster up through `npm run temporal:setup`'s own path (namespace with
 * its retention, search attributes), once the frontend serves: a server just started answers
 * UNAVAILABLE until history and matching have joined. Returns setup's lines.
 */
export async function setupStartedCluster(cluster: TemporalCluster, namespace: string, retentionDays: number, timeoutMs = 120_000): Promise<string[]> {
  const client = await connectClient(clusterTarget(cluster, namespace));
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        return await setupTemporal(client.connection, namespace, retentionDays);
      } catch (e) {
        if (!(isGrpcServiceError(e) && e.code === UNAVAILABLE) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  } finally {
    await client.connection.close();
  }
}
