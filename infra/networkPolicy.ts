import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import { readSetting } from './config';

/**
 * Where exports may POST: not to this machine or the private network (an SSRF hole) unless
 * an operator allow-lists the host in EXPORT_ALLOWED_HOSTS (comma-separated names or
 * addresses). Checked when a job is saved (literal addresses and localhost) and again when
 * it connects (every address the name resolves to, so DNS cannot swap one in later).
 */

/**
 * Loopback, link-local, private, CGNAT, unspecified and unique-local ranges. Node's BlockList
 * also matches an IPv4-mapped IPv6 address in any spelling (`::ffff:10.0.0.1`, `::ffff:a00:1`,
 * which is how `new URL()` writes it) against the IPv4 ranges.
 */
const PRIVATE = new net.BlockList();
for (const [base, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  PRIVATE.addSubnet(base, bits, 'ipv4');
}
for (const [base, bits] of [['::', 128], ['::1', 128], ['fe80::', 10], ['fc00::', 7]] as const) PRIVATE.addSubnet(base, bits, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const family = net.isIP(ip);
  return family !== 0 && PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export function allowedHosts(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set((readSetting('EXPORT_ALLOWED_HOSTS', env) ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));
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
