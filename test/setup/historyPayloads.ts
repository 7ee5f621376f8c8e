import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';

/** Payloads read from raw histories, as the client would read them (through its codec, then its converter). */

/** A payload of a raw history, through the client's codec (PAYLOAD_CODEC_KEYS) and converter. */
export async function decodedPayload<T>(client: Client, payload: Payload | null | undefined): Promise<T | undefined> {
  if (!payload) return undefined;
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  let payloads = [payload];
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return payloadConverter.fromPayload<T>(payloads[0]!);
}

