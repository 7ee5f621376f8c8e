import assert from 'node:assert/strict';
import { allowedHostsOf, saveExportJob } from '../setup/jobs';
import { startSystem, type TestSystem } from '../setup/system';

/**
 * What a job's URL may hold when it is saved (issue 12 §5, §6): no host on this machine or
 * the private network for ftp:, ftps: and https: (in any spelling), and no credential (they
 * go to the secret store, and the refusal says where). Read-only users never see one.
 */
describe('job URLs: network policy and credentials at save', () => {
  let sys: TestSystem;
  let admin: string;
  let reader: string;
  const domain = 'url-policy';
  const J = `/domains/${domain}/jobs`;
  before(async () => {
    sys = await startSystem();
    admin = await sys.token('domain_admin', domain);
    reader = await sys.token('read_only', domain);
  });
  after(async () => {
    await sys?.stop();
  });
  const allowedHosts = allowedHostsOf(() => sys);
  const exportJob = (id: string, destinationUrl: string) => saveExportJob(sys, admin, domain, id, destinationUrl);

  it('refuses ftp:, ftps: and https: destinations on this machine or a private network, in any spelling, saving nothing', async () => {
    allowedHosts.set([]);
    try {
      const targets = ['ftp://exporter@127.0.0.1:2121/in/', 'ftps://exporter@10.0.0.8/in/', 'ftp://localhost./in/', 'ftps://LOCALHOST./in/', 'ftp://2130706433/in/',
        'ftps://0x7f.1/in/', 'ftps://0177.0.0.1/in/', 'ftp://[::1]/in/', 'ftps://[::ffff:169.254.169.254]/x', 'ftp://169.254.169.254/x', 'ftps://[64:ff9b::a9fe:a9fe]/x',
        'https://[2002:7f00:1::1]/in', 'https://[fec0::1]/in', 'https://198.18.0.1/in', 'https://192.0.0.8/in', 'https://240.0.0.1/in', 'https://224.0.0.1/in', 'https://localhost./in'];
      for (const [i, url] of targets.entries()) {
        const r = await exportJob(`net-${i}`, url);
        assert.equal(r.status, 422, `${url}: ${r.status} ${r.text}`);
        assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.match(r.json.detail, /^destinationUrl: .*private network.*EXPORT_ALLOWED_HOSTS/, url);
        assert.equal((await sys.call(admin, 'GET', `${J}/net-${i}`)).status, 404, `${url} was saved`);
      }
      allowedHosts.set(['10.0.0.8']);
      assert.equal((await exportJob('net-allowed', 'ftps://exporter@10.0.0.8/in/')).status, 201, 'an allow-listed host is accepted');
    } finally {
      allowedHosts.restore();
    }
  });

  it('refuses a password in the URL and secret-looking parameters, pointing to the secrets endpoint; a user name alone is fine', async () => {
    const cases: [string, RegExp][] = [
      ['ftp://exporter:hunter2@ftp.example.edu/in/', /password in the user-info.*PUT \/domains\/url-policy\/jobs\/cred-0\/secrets\/password/],
      ['ftps://exporter:@ftp.example.edu:990/in/?x=1&Password=p', /Password.*PUT \/domains\/url-policy\/jobs\/cred-1\/secrets\/query/],
      ['https://in.example.edu/up?format=csv&access_token=abc', /access_token.*secrets\/query/],
      ['https://in.example.edu/up?X-Amz-Signature=abc&X-Amz-Credential=k', /X-Amz-Signature, X-Amz-Credential/],
      ['https://in.example.edu/up?api_key=abc', /api_key/],
      ['https://in.example.edu/up?sig=abc', /sig\b/],
      ['https://in.example.edu/up#token=abc', /token/],
    ];
    for (const [i, [url, pointer]] of cases.entries()) {
      const r = await exportJob(`cred-${i}`, url);
      assert.equal(r.status, 422, `${url}: ${r.text}`);
      assert.equal(r.json.title, 'Credentials in URL');
      assert.match(r.json.detail, pointer, url);
      assert.equal(r.json.secrets, `/domains/${domain}/jobs/cred-${i}/secrets`);
      assert.ok(!r.text.includes('hunter2') && !r.text.includes('abc'), 'the credential is not echoed');
      assert.equal((await sys.call(admin, 'GET', `${J}/cred-${i}`)).status, 404, `${url} was saved`);
    }
    assert.equal((await exportJob('user-only', 'ftp://exporter@ftp.example.edu/in/')).status, 201);
    // A change that adds one is refused the same way, and leaves the job as it was.
    const patch = await sys.call(admin, 'PATCH', `${J}/user-only`, { destinationUrl: 'ftp://exporter:hunter2@ftp.example.edu/in/' });
    assert.equal(patch.status, 422, patch.text);
    assert.match(patch.json.detail, /secrets\/password/);
    assert.equal((await sys.call(admin, 'GET', `${J}/user-only`)).json.destinationUrl, 'ftp://ftp.example.edu/in/');
  });

  it('never shows a read-only user a token or password stored in a URL before this rule', async () => {
    assert.equal((await exportJob('old-row', 'https://in.example.edu/up?format=csv')).status, 201);
    // As rows saved before the rule (or the migration) hold them.
    await sys.db.query(`update jobs set destination_url = 'https://u:pw-1234@in.example.edu/up?format=csv&access_token=tok-5678' where domain = $1 and identifier = 'old-row'`, [domain]);
    for (const path of [`${J}/old-row`, J, '/jobs']) {
      const r = await sys.call(reader, 'GET', path);
      assert.equal(r.status, 200, r.text);
      assert.ok(!r.text.includes('tok-5678') && !r.text.includes('pw-1234'), `${path}: ${r.text.slice(0, 300)}`);
    }
    assert.equal((await sys.call(reader, 'GET', `${J}/old-row`)).json.destinationUrl, 'https://in.example.edu/up?format=csv&access_token=***');
  });
});
