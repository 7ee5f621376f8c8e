import crypto from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Payload encryption with AES-256-GCM (node:crypto), run outside the workflow sandbox by the
 * client, the worker and the API's codec server. An encrypted payload carries the id of its
 * key in its metadata, so keys rotate: the first key encrypts, every key listed decrypts, and a
 * payload without the encrypted encoding (histories from before encryption) passes through.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** PAYLOAD_CODEC_KEYS ("id:base64,id:base64"), checked; messages name the entry, never its key. */
export function parseCodecKeys(setting: string | undefined): CodecKey[] {
  const entries = (setting ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  const keys = entries.map((entry, i): CodecKey => {
    const sep = entry.indexOf(':');
    const id = sep < 0 ? '' : entry.slice(0, sep);
    const where = `PAYLOAD_CODEC_KEYS: entry ${i + 1}`;
    if (!KEY_ID.test(id)) throw new Error(`${where}: write it as id:base64key, the id of letters, digits, ".", "_" or "-" (64 at most).`);
    const b64 = entry.slice(sep + 1);
    const key = Buffer.from(b64, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || key.length !== 32) {
      throw new Error(`${where} (key id "${id}"): the key must be 32 random bytes in base64 (openssl rand -base64 32).`);
    }
    return { id, key };
  });
  const ids = keys.map((k) => k.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new Error(`PAYLOAD_CODEC_KEYS: key id "${twice}" is listed twice.`);
  return keys;
}

const metadataText = (p: Payload, key: string) => {
  const v = p.metadata?.[key];
  return v ? Buffer.from(v).toString('utf8') : undefined;
};

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  /** `keys[0]` encrypts; all of them decrypt. */
  constructor(private readonly keys: CodecKey[]) {
    if (!keys.length) throw new Error('AesGcmCodec needs at least one key.');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return payloads.map((payload) => {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated too: a payload cannot be passed off under another key's name.
      cipher.setAAD(Buffer.from(id));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (metadataText(payload, 'encoding') !== ENCRYPTED_ENCODING) return payload;
      const id = metadataText(payload, KEY_ID_METADATA) ?? '';
      const key = this.byId.get(id);
      if (!key) throw new Error(`A payload is encrypted with key "${id}", which PAYLOAD_CODEC_KEYS does not list.`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`An encrypted payload (key "${id}") is truncated.`);
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new Error(`An encrypted payload does not authenticate with key "${id}" (wrong key or altered data).`);
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
