import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, parseCodecKeys } from '../../temporal/payloadCodec';

const newKey = () => crypto.randomBytes(32).toString('base64');
const text = (p: Payload) => Buffer.from(p.data ?? []).toString('utf8');
const meta = (p: Payload, k: string) => Buffer.from(p.metadata?.[k] ?? []).toString('utf8');

describe('payload codec (AES-256-GCM, key id in the metadata)', () => {
  const job = defaultPayloadConverter.toPayload({ name: 'Payroll of Acme', sourceUrl: 'file:///srv/acme/payroll.csv' })!;

  it('encrypts (nothing of the value readable) and decrypts to the same payload', async () => {
    const codec = new AesGcmCodec(parseCodecKeys(`k1:${newKey()}`));
    const [enc] = await codec.encode([job]);
    assert.equal(meta(enc!, 'encoding'), ENCRYPTED_ENCODING);
    assert.equal(meta(enc!, 'encryption-key-id'), 'k1');
    assert.doesNotMatch(text(enc!), /Payroll|payroll|json/);
    const [dec] = await codec.decode([enc!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(dec!), { name: 'Payroll of Acme', sourceUrl: 'file:///srv/acme/payroll.csv' });
    // A fresh IV each time: the same value never gives the same ciphertext.
    const [again] = await codec.encode([job]);
    assert.notEqual(Buffer.from(again!.data!).toString('base64'), Buffer.from(enc!.data!).toString('base64'));
  });

  it('rotates keys: the first listed encrypts, every listed key still decrypts', async () => {
    const oldKey = newKey();
    const before = new AesGcmCodec(parseCodecKeys(`old:${oldKey}`));
    const [byOld] = await before.encode([job]);
    const rotated = new AesGcmCodec(parseCodecKeys(`new:${newKey()},old:${oldKey}`));
    const [byNew] = await rotated.encode([job]);
    assert.equal(meta(byNew!, 'encryption-key-id'), 'new');
    const decoded = await rotated.decode([byOld!, byNew!]);
    for (const p of decoded) assert.equal(defaultPayloadConverter.fromPayload<{ name: string }>(p).name, 'Payroll of Acme');
    // Once the old key is dropped, its payloads are refused by name, not garbled.
    const dropped = new AesGcmCodec(parseCodecKeys(`new:${newKey()}`));
    await assert.rejects(dropped.decode([byOld!]), /encrypted with key "old", which PAYLOAD_CODEC_KEYS does not list/);
  });

  it('passes unencrypted payloads (histories from before encryption) through unchanged', async () => {
    const codec = new AesGcmCodec(parseCodecKeys(`k1:${newKey()}`));
    assert.deepEqual(await codec.decode([job]), [job]);
  });

  it('refuses altered data and a payload moved under another key id', async () => {
    const k1 = newKey();
    const k2 = newKey();
    const codec = new AesGcmCodec(parseCodecKeys(`k1:${k1},k2:${k2}`));
    const [enc] = await codec.encode([job]);
    const flipped = Buffer.from(enc!.data!);
    flipped[20]! ^= 1;
    await assert.rejects(codec.decode([{ ...enc!, data: flipped }]), /does not authenticate with key "k1"/);
    const renamed = { ...enc!, metadata: { ...enc!.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await assert.rejects(codec.decode([renamed]), /does not authenticate with key "k2"/);
    await assert.rejects(codec.decode([{ ...enc!, data: Buffer.alloc(5) }]), /truncated/);
  });

  it('checks PAYLOAD_CODEC_KEYS and names the bad entry without echoing any key', () => {
    const good = newKey();
    assert.deepEqual(parseCodecKeys(undefined), []);
    assert.deepEqual(parseCodecKeys(''), []);
    const short = crypto.randomBytes(16).toString('base64');
    assert.throws(() => parseCodecKeys(`a:${good},b:${short}`), (e: Error) => /entry 2 \(key id "b"\): the key must be 32 random bytes/.test(e.message) && !e.message.includes(short));
    assert.throws(() => parseCodecKeys(good), (e: Error) => /entry 1: write it as id:base64key/.test(e.message) && !e.message.includes(good));
    assert.throws(() => parseCodecKeys(`a:${good}!`), /entry 1 \(key id "a"\)/);
    assert.throws(() => parseCodecKeys(`a:${good},a:${newKey()}`), /key id "a" is listed twice/);
  });
});
