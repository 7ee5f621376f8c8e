import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The one network policy for every outbound connection a job makes (https:, ftp:, ftps:
 * destinations, and an FTP server's passive data channel): not to this machine, the private
 * network or any address that is not plain public unicast (an SSRF hole), unless an operator
 * allow-lists the host in EXPORT_ALLOWED_HOSTS (comma-separated names or addresses), which
 * every check here is given (`allowed`: the list as configured) rather than reading it.
 *
 * Address ranges are ipaddr.js's (`range()`): anything it does not call `unicast` is
 * refused (loopback, private, link-local, unique-local, CGNAT, reserved, multicast,
 * broadcast, unspecified, 6to4, NAT64, Teredo, site-local, benchmarking ...), plus the
 * IPv4-compatible `::a.b.c.d` block it calls unicast. An IPv4-mapped IPv6 address
 * (`::ffff:a.b.c.d`) is judged by its IPv4 address.
 *
 * Host names are normalised first, as the resolver would read them: brackets and trailing
 * dots dropped (`localhost.`), case folded, numeric IPv4 forms (`2130706433`, `0x7f.1`,
 * `0177.0.0.1`, `127.1`) read as the address they mean. Checked when a job is saved
 * (`destinationRefusal`: literal addresses and localhost names) and again when it connects
 * (`resolveAllowed`, `guardedLookup`: every address the name resolves to, and the connection
 * goes to an address that was checked, so DNS cannot swap one in later).
 */

/**
 * Blocks the policy refuses besides ipaddr.js's non-unicast ranges: the IPv4-compatible block
 * (which it calls unicast), and the ones the issue names, so a library update cannot drop them.
 */
const EXTRA_REFUSED: readonly [string, ReturnType<typeof ipaddr.parseCIDR>][] = [
  ['ipv4Compatible', ipaddr.parseCIDR('::/96')],
  ['deprecatedSiteLocal', ipaddr.parseCIDR('fec0::/10')],
  ['rfc6052', ipaddr.parseCIDR('64:ff9b::/96')],
  ['rfc6052', ipaddr.parseCIDR('64:ff9b:1::/48')],
  ['6to4', ipaddr.parseCIDR('2002::/16')],
  ['reserved', ipaddr.parseCIDR('198.18.0.0/15')],
  ['reserved', ipaddr.parseCIDR('192.0.0.0/24')],
  ['reserved', ipaddr.parseCIDR('240.0.0.0/4')],
];

/** An IPv6 literal with a dotted IPv4 tail, in hex (ipaddr.js reads `::a.b.c.d` as IPv4-mapped, which it is not). */
function hexTail(host: string): string {
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (!m || !host.includes(':')) return host;
  const [a, b, c, d] = m.slice(2).map(Number) as [number, number, number, number];
  if ([a, b, c, d].some((n) => n > 255)) return host;
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface NormalHost {
  /** The name as the resolver reads it, or the address in its canonical form. */
  host: string;
  /** Set when the host is an address literal, in any of its spellings. */
  address?: Address;
}

/** A URL's host as the resolver would read it (see the header). */
export function normaliseHost(hostname: string): NormalHost {
  let host = hostname.trim().replace(/^\[|\]$/g, '').toLowerCase().replace(/\.+$/, '');
  if (/%[0-9a-f]{2}/i.test(host) && !host.includes(':')) {
    try {
      host = decodeURIComponent(host).replace(/\.+$/, '');
    } catch {
      // Left as it is: it resolves to nothing.
    }
  }
  const literal = hexTail(host);
  if (ipaddr.isValid(literal)) {
    const address = ipaddr.parse(literal);
    return { host: address.toString(), address };
  }
  return { host };
}

/** The range that makes an address refused, or undefined for public unicast. */
export function refusedRange(address: Address): string | undefined {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) return refusedRange((address as ipaddr.IPv6).toIPv4Address());
  const range = address.range();
  if (range !== 'unicast') return range;
  return EXTRA_REFUSED.find(([, cidr]) => address.kind() === cidr[0].kind() && address.match(cidr))?.[0];
}

/** True for any address (in any spelling) the policy refuses; false for public unicast and for what is not an address. */
export function isPrivateAddress(ip: string): boolean {
  const { address } = normaliseHost(ip);
  return !!address && refusedRange(address) !== undefined;
}

/** The allow-listed hosts (EXPORT_ALLOWED_HOSTS, as a list), each normalised as a host is. */
export type AllowedHosts = readonly string[];
const allowSet = (allowed: AllowedHosts): Set<string> => new Set(allowed.map((h) => normaliseHost(h).host));

const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost') || host === '';
const why = (host: string, range: string) =>
  `${host} is on this machine or a private network (${range}); exports go there only if EXPORT_ALLOWED_HOSTS lists it`;

/** Why a host is refused on its face (a non-public address in any spelling, localhost), or undefined. */
export function literalHostRefusal(hostname: string, allowed: AllowedHosts): string | undefined {
  const allow = allowSet(allowed);
  const { host, address } = normaliseHost(hostname);
  if (allow.has(host)) return undefined;
  if (address) {
    const range = refusedRange(address);
    return range ? why(host, range) : undefined;
  }
  return isLocalName(host) ? why(host || '(no host)', 'localhost') : undefined;
}

/** Why a job's https:, ftp: or ftps: URL is refused on its face (see literalHostRefusal); undefined for other schemes. */
export function destinationRefusal(url: string, allowed: AllowedHosts): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!['https:', 'ftp:', 'ftps:'].includes(u.protocol)) return undefined;
  return literalHostRefusal(u.hostname, allowed);
}

export const DESTINATION_REFUSED = 'EDESTINATIONREFUSED';

const refusal = (message: string) => Object.assign(new Error(message), { code: DESTINATION_REFUSED });

/**
 * The addresses a connection to `hostname` may use, each checked: a literal as it is, a name
 * through DNS (every answer must pass, unless the name or the address is allow-listed).
 * Rejects with code EDESTINATIONREFUSED when one does not.
 */
export async function resolveAllowed(hostname: string, allowed: AllowedHosts): Promise<dns.LookupAddress[]> {
  const allow = allowSet(allowed);
  const { host, address } = normaliseHost(hostname);
  if (address) {
    const range = refusedRange(address);
    if (range && !allow.has(host)) throw refusal(why(host, range));
    const ip = address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
    return [{ address: ip.toString(), family: ip.kind() === 'ipv4' ? 4 : 6 }];
  }
  if (isLocalName(host) && !allow.has(host)) throw refusal(why(host || '(no host)', 'localhost'));
  const answers = await dns.promises.lookup(host, { all: true, verbatim: true });
  if (!allow.has(host)) {
    for (const a of answers) {
      const { host: ip, address: parsed } = normaliseHost(a.address);
      const range = parsed ? refusedRange(parsed) : 'not an address';
      if (range && !allow.has(ip)) throw refusal(`${host} resolves to ${a.address}, a private address (${range}); exports go there only if EXPORT_ALLOWED_HOSTS lists it`);
    }
  }
  return answers;
}

/** A DNS lookup for outgoing requests (http's `lookup` option) that answers only checked addresses. */
export const guardedLookup = (allowed: AllowedHosts): LookupFunction => (hostname, options, callback) => {
  resolveAllowed(hostname, allowed).then(
    (addresses) => {
      const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
      if (!wanted.length) return callback(Object.assign(new Error(`${hostname} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, wanted);
      callback(null, wanted[0]!.address, wanted[0]!.family);
    },
    (err: NodeJS.ErrnoException) => callback(err, '', 0),
  );
};
