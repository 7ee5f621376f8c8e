import { Client, Connection } from '@temporalio/client';
import type { TemporalSettings } from '../infra/config';
import { connectionError } from './connectionError';
import { dataConverter } from './dataConverter';

/** A Temporal server to connect to: its address is known by now. */
export type TemporalTarget = TemporalSettings & { address: string };

/**
 * The target for a server found or started by ensureTemporal(): the configured settings for a
 * configured cluster; a dev server we started ourselves takes plain gRPC on loopback.
 */
export function targetFor(settings: TemporalSettings, server: { address: string; owned: boolean }): TemporalTarget {
  return server.owned
    ? { address: server.address, namespace: settings.namespace, payloadCodecKeys: settings.payloadCodecKeys }
    : { ...settings, address: server.address };
}

/** The connection settings a client and a worker share (worker/connection.ts builds the worker's from these). */
export const connectionOptions = (t: TemporalTarget) => ({ address: t.address, tls: t.tls, apiKey: t.apiKey, metadata: t.metadata });

/**
 * A Temporal client for the API, the worker's activities and the scripts: the one way in,
 * with the target's TLS and API key and the payload codec (PAYLOAD_CODEC_KEYS).
 */
export async function connectClient(target: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(target)).catch(async (e) => Promise.reject(await connectionError(target, e)));
  return new Client({ connection, namespace: target.namespace, dataConverter: dataConverter(target.payloadCodecKeys) });
}
