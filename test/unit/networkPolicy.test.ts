import assert from 'node:assert/strict';
import { loadConfig } from '../../infra/config';
import { destinationRefusal, guardedLookup, isPrivateAddress, literalHostRefusal, resolveAllowed, type AllowedHosts } from '../../io/networkPolicy';

/** The one network policy for outbound connections: refused unless public unicast or allow-listed. */
describe('network policy', () => {
  /** EXPORT_ALLOWED_HOSTS as the services get it (unset: none). */
  const allowed = (setting?: string): AllowedHosts => loadConfig({ EXPORT_ALLOWED_HOSTS: setting }).exportAllowedHosts;
  const NONE = allowed();

  // Each range the policy refuses, with an address in it (and the range it is reported as).
  const REFUSED: [string, string][] = [
    ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'], ['127.8.9.10', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'], ['100.127.255.254', 'carrierGradeNat'],
    ['198.18.0.1', 'reserved'], ['198.19.255.254', 'reserved'],
    ['192.0.0.8', 'reserved'], ['192.0.0.170', 'reserved'],
    ['240.0.0.1', 'reserved'], ['255.255.255.254', 'reserved'],
    ['192.0.2.1', 'reserved'], ['198.51.100.7', 'reserved'], ['203.0.113.9', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'],
    ['::', 'unspecified'], ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'], ['fc00::1', 'uniqueLocal'], ['fd12:3456::1', 'uniqueLocal'],
    ['fec0::1', 'deprecatedSiteLocal'], ['feff::1', 'deprecatedSiteLocal'],
    ['ff02::1', 'multicast'], ['ff0e::1', 'multicast'],
    ['2002:7f00:1::1', '6to4'], ['2002:a9fe:a9fe::', '6to4'], ['2002:808:808::1', '6to4'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'], ['64:ff9b::808:808', 'rfc6052'], ['64:ff9b:1::1', 'rfc6052'],
    ['::7f00:1', 'ipv4Compatible'], ['::808:808', 'ipv4Compatible'], ['::127.0.0.1', 'ipv4Compatible'], ['::169.254.169.254', 'ipv4Compatible'],
    ['2001::1', 'teredo'], ['2001:db8::1', 'reserved'], ['100::1', 'discard'],
    // IPv4-mapped: judged by the IPv4 address, in every spelling.
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:a00:1', 'private'], ['0:0:0:0:0:ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:0:7f00:1', 'rfc6145'],
  ];

  it('refuses every non-public range, and reports which', () => {
    for (const [ip, range] of REFUSED) {
      assert.equal(isPrivateAddress(ip), true, ip);
      const why = literalHostRefusal(ip, NONE) ?? '';
      assert.match(why, /private network.*EXPORT_ALLOWED_HOSTS/, ip);
      assert.ok(why.includes(`(${range})`), `${ip}: ${why}`);
      // As a URL host, for each scheme a connection is made with.
      const host = ip.includes(':') ? `[${ip}]` : ip;
      for (const scheme of ['https', 'ftp', 'ftps']) assert.ok(destinationRefusal(`${scheme}://${host}:2121/x`, NONE), `${scheme} ${ip}`);
    }
  });

  it('accepts public unicast addresses and names', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '100.128.0.1', '198.20.0.1', '2606:4700::1111', '2a00:1450::1', '::ffff:8.8.8.8', '::ffff:808:808']) {
      assert.equal(isPrivateAddress(ip), false, ip);
      assert.equal(literalHostRefusal(ip, NONE), undefined, ip);
    }
    assert.equal(isPrivateAddress('not an address'), false);
    assert.equal(literalHostRefusal('partner.example.com', NONE), undefined);
    assert.equal(destinationRefusal('ftps://partner.example.com/in/', NONE), undefined);
    assert.equal(destinationRefusal('file:///srv/files/x.csv', NONE), undefined, 'file: is the file areas\' business');
  });

  it('reads numeric, bracketed and trailing-dot host forms as the address or name they mean', () => {
    const forms = ['localhost', 'LOCALHOST', 'localhost.', 'localhost..', 'Foo.LocalHost.', '2130706433', '0x7f000001', '0x7f.1', '0177.0.0.1', '0177.1', '127.1', '127.0.1',
      '017700000001', '0x7F.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '127.0.0.1.', '169.254.169.254.', '0xa9fea9fe', '%31%32%37.0.0.1', '0'];
    for (const host of forms) {
      assert.match(literalHostRefusal(host, NONE) ?? '', /private network/, host);
      // ftps: is not a "special" URL scheme: new URL() leaves its host as written, so the policy must read it.
      for (const scheme of ['https', 'ftp', 'ftps']) {
        const url = `${scheme}://${host}:2121/x.csv`;
        assert.ok(destinationRefusal(url, NONE), url);
      }
    }
  });

  it('lets EXPORT_ALLOWED_HOSTS through, in any spelling of the same host', () => {
    const list = allowed('localhost., 10.0.0.5, 0:0::1');
    for (const host of ['localhost', 'localhost.', '10.0.0.5', '[::1]']) assert.equal(literalHostRefusal(host, list), undefined, host);
    assert.ok(literalHostRefusal('10.0.0.6', list));
    assert.ok(literalHostRefusal('10.0.0.5', NONE), 'an empty list allows nothing');
  });

  const lookup = (host: string, list = NONE) =>
    new Promise<string>((resolve, reject) => guardedLookup(list)(host, {}, (err, address) => (err ? reject(err) : resolve(address as string))));

  it('refuses at connect time a name that resolves to a private address, and any literal form', async () => {
    await assert.rejects(lookup('localhost'), (e: NodeJS.ErrnoException) => e.code === 'EDESTINATIONREFUSED' && /localhost/.test(e.message));
    for (const host of ['localhost.', '2130706433', '0x7f.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe']) {
      await assert.rejects(resolveAllowed(host, NONE), (e: NodeJS.ErrnoException) => e.code === 'EDESTINATIONREFUSED', host);
    }
    assert.match(await lookup('localhost', allowed('localhost')), /^(127\.0\.0\.1|::1)$/);
    assert.deepEqual(await resolveAllowed('0x7f.1', allowed('127.0.0.1')), [{ address: '127.0.0.1', family: 4 }], 'the checked address is what a connection uses');
  });
});
