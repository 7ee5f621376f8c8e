import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { HttpError } from '../http/problem';
import type { ApiKit } from '../http/routeKit';

/**
 * Temporal's codec server protocol on the API, so that Temporal Web and the Temporal CLI
 * (pointed at <api>/codec) show operators plaintext payloads: POST /codec/decode and
 * /codec/encode take and give `{payloads: [...]}` in protobuf JSON (bytes as base64).
 *
 * System administrators only: one payload may belong to any domain, and nothing in it says
 * which, so only a token that may read every domain may read payloads.
 */

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64').refine((s) => s.length % 4 === 0, 'base64 (its length a multiple of 4)');
const payloadJson = z
  .object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })
  .strict()
  .meta({ id: 'Payload', description: 'A Temporal payload in protobuf JSON: metadata values and data in base64.' });
const payloadsJson = z.object({ payloads: z.array(payloadJson).max(10_000) }).strict();
type PayloadJson = z.infer<typeof payloadJson>;

const fromJson = (p: PayloadJson): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): PayloadJson => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRoutes(kit: ApiKit, temporal: Client): void {
  const codecs = temporal.options.loadedDataConverter.payloadCodecs;
  const steps = {
    // The codecs in the client's order to encode, the reverse to decode, as the SDK does.
    encode: async (ps: Payload[]) => { for (const c of codecs) ps = await c.encode(ps); return ps; },
    decode: async (ps: Payload[]) => { for (const c of [...codecs].reverse()) ps = await c.decode(ps); return ps; },
  };
  for (const op of ['decode', 'encode'] as const) {
    kit.route(
      { method: 'post', path: `/codec/${op}`, operationId: `codec${op[0]!.toUpperCase()}${op.slice(1)}`, tag: 'Codec', access: 'system',
        summary: op === 'decode' ? 'Decrypt Temporal payloads (codec server for Temporal Web and the CLI)' : 'Encrypt Temporal payloads (codec server for Temporal Web and the CLI)',
        description: 'Temporal codec server protocol. Payloads without our encryption are returned as they are. Temporal Web calls it from the browser: CORS is allowed for TEMPORAL_WEB_URL only.',
        body: payloadsJson,
        responses: {
          200: { description: `The payloads, ${op}d, in the same order.`, schema: payloadsJson },
          422: { description: 'A payload cannot be decrypted (a key PAYLOAD_CODEC_KEYS lacks, or altered data).' },
        } },
      async ({ body }, _req, res) => {
        let out: Payload[];
        try {
          out = await steps[op](body.payloads.map(fromJson));
        } catch (e) {
          throw new HttpError(422, 'Unprocessable payload', (e as Error).message);
        }
        res.json({ payloads: out.map(toJson) });
      },
    );
  }
}

/**
 * CORS for the codec routes: the browser at TEMPORAL_WEB_URL's origin may call them with a
 * bearer token (no cookies); a preflight from any other origin is refused.
 */
export function codecCors(temporalWebUrl: string | undefined): RequestHandler {
  const allowed = temporalWebUrl ? new URL(temporalWebUrl).origin : undefined;
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    const ok = origin !== undefined && origin === allowed;
    if (ok) res.set('Access-Control-Allow-Origin', origin);
    if (req.method !== 'OPTIONS') return next();
    if (!ok) return next(new HttpError(403, 'Forbidden', `Cross-origin calls to the codec server are allowed from TEMPORAL_WEB_URL's origin only${allowed ? ` (${allowed})` : ''}.`));
    res.set({
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  };
}
