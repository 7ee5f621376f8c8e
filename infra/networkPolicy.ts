import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';

/**
 * Where exports may POST: not to this machine or the private network (an SSRF hole) unless
 * an operator allow-lists the host in EXPORT_ALLOWED_HOSTS (comma-separated names or
 * addresses). Checked when a job is saved (literal addresses and localhost) and again when
 * it connects (every address the name resolves to, so DNS cannot swap one in later).
 */

const PRIVATE_V4: [number, number][] = [
  [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16], [0xac100000, 12], [0xc0a80000, 16],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

/** Loopback, link-local, private, CGNAT, unspecified and unique-local addresses. */
export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const n = v4ToInt(ip);
    return PRIVATE_V4.some(([base, bits]) => (n & (~0 << (32 - bits))) >>> 0 === base);
  }
  const v6 = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
  if (mapped) return isPrivateAddress(mapped[1]!);
  return v6 === '::1' || v6 === '::' || /^fe[89ab]/.test(v6) || /^f[cd]/.test(v6);
}

export function allowedHosts(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set((env.EXPORT_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

/** Why a destination host is refused on its face (a private literal address, localhost), or undefined. */
export function literalHostRefusal(hostname: string, allow = allowedHosts()): string | undefined {
  const host = bare(hostname);
  if (allow.has(host)) return undefined;
  if (host === 'localhost' || host.endsWith('.localhost') || (net.isIP(host) && isPrivateAddress(host))) {
    return `${host} is on this machine or a private network; exports go there only if EXPORT_ALLOWED_HOSTS lists it`;
  }
  return undefined;
}

export const DESTINATION_REFUSED = 'EDESTINATIONREFUSED';

/** A DNS lookup for outgoing requests that refuses private addresses a name resolves to. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const allow = allowedHosts();
    const bad = addresses.find((a) => isPrivateAddress(a.address) && !allow.has(bare(hostname)) && !allow.has(a.address));
    if (bad) {
      const refusal = Object.assign(new Error(`${hostname} resolves to ${bad.address}, a private address; exports go there only if EXPORT_ALLOWED_HOSTS lists it`), { code: DESTINATION_REFUSED });
      return callback(refusal, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
