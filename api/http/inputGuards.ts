import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { invalidRequest } from './problem';

/**
 * Checks on raw input that no schema expresses, made before the schemas run: a NUL character
 * (PostgreSQL cannot store one in text, and no name, filter or URL has one), half of a UTF-16
 * surrogate pair (JSON allows "\ud800"; PostgreSQL's jsonb refuses it, and a text column
 * would silently get U+FFFD instead), JSON nested
 * deeper than any of our bodies (so no recursion, ours or a library's, can overflow the
 * stack), and a path whose percent-encoding does not decode.
 */

type Where = 'body' | 'query' | 'path';

/** Deeper than any body the API declares (rules → mapping is three levels). */
export const MAX_JSON_DEPTH = 32;

/**
 * express.json's `verify`: refuses a body nested deeper than MAX_JSON_DEPTH before it is
 * parsed. One pass over the bytes, skipping strings.
 */
export function refuseDeepJson(_req: IncomingMessage, _res: unknown, buf: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw Object.assign(new Error(`The body is nested more than ${MAX_JSON_DEPTH} levels deep.`), { status: 400, type: 'entity.too.deep' });
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** A lone surrogate: a high one not followed by a low one, or a low one not after a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be taken as text, or undefined when it can. */
const textProblem = (s: string) => (s.includes('\0') ? 'contains a NUL character' : LONE_SURROGATE.test(s) ? 'contains half of a UTF-16 surrogate pair (not Unicode text)' : undefined);

/** Each string (or key) in `value` that is not text: its dotted path and why. */
export function badTextFields(value: unknown): { field: string; message: string }[] {
  const found: { field: string; message: string }[] = [];
  // Iterative, with the depth bounded by refuseDeepJson for bodies and by the query parser for queries.
  const stack: { v: unknown; at: string[] }[] = [{ v: value, at: [] }];
  while (stack.length) {
    const { v, at } = stack.pop()!;
    if (typeof v === 'string') {
      const message = textProblem(v);
      if (message) found.push({ field: at.join('.') || '(root)', message });
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        // JSON.parse makes "__proto__" an own key; copied into a record it would be dropped, not kept.
        const message = k === '__proto__' ? 'is a reserved name' : textProblem(k);
        if (message) found.push({ field: [...at, JSON.stringify(k).slice(1, -1)].join('.'), message });
        else stack.push({ v: child, at: [...at, k] });
      }
    }
  }
  return found.sort((a, b) => a.field.localeCompare(b.field));
}

/** Throws a 400 naming each field of `value` that is not text (NUL, lone surrogates) or is named __proto__. */
export function refuseBadText(value: unknown, where: Where): void {
  const bad = badTextFields(value);
  if (bad.length) throw invalidRequest(bad.map((b) => ({ in: where, ...b })));
}

const decodes = (s: string) => {
  try {
    decodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};

/**
 * Answers a path whose percent-encoding does not decode (`/domains/%E0%A4%A/jobs`) with a 400
 * naming the parameter, found by laying the path over the declared routes' templates.
 */
export function pathEncodingGuard(templates: () => readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const segments = req.path.split('/');
    const bad = segments.map((s, i) => (decodes(s) ? -1 : i)).filter((i) => i >= 0);
    if (!bad.length) return next();
    const fields = new Set<string>();
    for (const i of bad) {
      const named = templates()
        .map((t) => t.split('/'))
        .filter((t) => t.length === segments.length && t.every((part, j) => part.startsWith(':') || part === segments[j] || j === i))
        .map((t) => t[i]!)
        .find((part) => part.startsWith(':'));
      fields.add(named ? named.slice(1) : `segment ${i}`);
    }
    next(invalidRequest([...fields].map((field) => ({ in: 'path', field, message: 'malformed percent-encoding' }))));
  };
}
