import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, parseCodecKeys } from './payloadCodec';

/** Given to bundleWorkflowCode() as well: workflows convert their failures with it. */
export const failureConverterPath = require.resolve('./failureConverter');

/** Said at the start of the worker and the API (production entry points) when payloads go out in plaintext. */
export function plaintextPayloadsWarning(keysSetting: string | undefined): string | undefined {
  if (parseCodecKeys(keysSetting).length) return undefined;
  return 'PAYLOAD_CODEC_KEYS is not set: job definitions, file paths and error messages reach Temporal (its database and Temporal Web) in plaintext.';
}

/** The client's and the worker's data converter: AES-GCM payloads when PAYLOAD_CODEC_KEYS (`keysSetting`) is set. */
export function dataConverter(keysSetting: string | undefined): DataConverter {
  const keys = parseCodecKeys(keysSetting);
  return { failureConverterPath, payloadCodecs: keys.length ? [new AesGcmCodec(keys)] : [] };
}
