import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** Payloads read from raw histories, as the client would read them (through its codec, then its converter). */

/** A payload of a raw history, through the client's codec (PAYLOAD_CODEC_KEYS) and converter. */
export async function decodedPayload<T>(client: Client, payload: Payload | null | undefined): Promise<T | undefined> {
  if (!payload) return undefined;
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  let payloads = [payload];
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return payloadConverter.fromPayload<T>(payloads[0]!);
}

/** When the schedule meant a run for (ms), from its run workflow's input; undefined for runs no schedule asked for. */
export async function scheduledAtOf(client: Client, history: temporal.api.history.v1.IHistory): Promise<number | undefined> {
  const input = await decodedPayload<{ scheduledAt?: string }>(client, history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
  return input?.scheduledAt ? Date.parse(input.scheduledAt) : undefined;
}
