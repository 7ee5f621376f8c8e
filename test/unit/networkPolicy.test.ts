import assert from 'node:assert/strict';
import { guardedLookup, isPrivateAddress, literalHostRefusal } from '../../infra/networkPolicy';

/** Exports never POST to this machine or the private network unless allow-listed. */
describe('network policy for export destinations', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.EXPORT_ALLOWED_HOSTS;
    delete process.env.EXPORT_ALLOWED_HOSTS;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.EXPORT_ALLOWED_HOSTS;
    else process.env.EXPORT_ALLOWED_HOSTS = saved;
  });

  it('knows loopback, link-local, private and unique-local addresses', () => {
    for (const ip of ['127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd12::1', '::ffff:10.0.0.1', '::ffff:a00:1', '::ffff:7f00:1', '0:0:0:0:0:ffff:127.0.0.1']) {
      assert.equal(isPrivateAddress(ip), true, ip);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:db8::1', '::ffff:8.8.8.8', '::ffff:808:808', 'not an address']) assert.equal(isPrivateAddress(ip), false, ip);
  });

  it('refuses private literals and localhost names unless allow-listed', () => {
    assert.match(literalHostRefusal('127.0.0.1') ?? '', /EXPORT_ALLOWED_HOSTS/);
    assert.match(literalHostRefusal('[::1]') ?? '', /private network/);
    assert.match(literalHostRefusal('LOCALHOST') ?? '', /private network/);
    // How new URL() writes https://[::ffff:127.0.0.1]/ and https://[::ffff:10.0.0.1]/.
    for (const host of [new URL('https://[::ffff:127.0.0.1]/').hostname, new URL('https://[::ffff:10.0.0.1]/').hostname]) {
      assert.match(literalHostRefusal(host) ?? '', /private network/, host);
    }
    assert.equal(literalHostRefusal('partner.example.com'), undefined);
    assert.equal(literalHostRefusal('10.0.0.5', new Set(['10.0.0.5'])), undefined);
  });

  const lookup = (host: string) =>
    new Promise<string>((resolve, reject) => guardedLookup(host, {}, (err, address) => (err ? reject(err) : resolve(address as string))));

  it('refuses at connect time a name that resolves to a private address', async () => {
    await assert.rejects(lookup('localhost'), (e: NodeJS.ErrnoException) => e.code === 'EDESTINATIONREFUSED' && /resolves to 127\.0\.0\.1/.test(e.message));
    process.env.EXPORT_ALLOWED_HOSTS = 'localhost';
    assert.equal(await lookup('localhost'), '127.0.0.1');
  });
});
