import assert from 'node:assert/strict';
import { credentialsRefusal, isSecretParamName, redactUrl, splitCredentials } from '../../domain/urlCredentials';

/** Credentials never stay in a job's URL: the rule, the split the migration uses, and the view's redaction. */
describe('credentials in URLs', () => {
  it('knows secret-looking parameter names by a clear rule', () => {
    const secret = ['password', 'PASSWORD', 'passwd', 'pwd', 'pass', 'token', 'access_token', 'accessToken', 'refresh-token', 'key', 'api_key', 'apiKey', 'X-Api-Key',
      'apikey', 'APIKEY', 'secret', 'client_secret', 'clientSecret', 'signature', 'X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Credential', 'sig', 'SIG',
      'AWSAccessKeyId', 'auth', 'auth_key', 'user.password', 'db-pwd', 'private_key', 'sessionToken'];
    for (const name of secret) assert.equal(isSecretParamName(name), true, name);
    const plain = ['format', 'user', 'username', 'id', 'monkey', 'keyboard', 'design', 'signal', 'passenger', 'author', 'sv', 'se', 'term', 'campus', 'keyword'];
    for (const name of plain) assert.equal(isSecretParamName(name), false, name);
  });

  it('splits a password and secret parameters out of a URL, keeping the rest and the user name', () => {
    assert.deepEqual(splitCredentials('ftp://exporter:p%40ss%3Aw0rd@ftp.example.edu/in/x.csv'), {
      url: 'ftp://exporter@ftp.example.edu/in/x.csv', password: 'p@ss:w0rd', query: undefined,
    });
    assert.deepEqual(splitCredentials('https://in.example.edu/up?format=csv&access_token=abc%2Fdef&sig=s1&x=1'), {
      url: 'https://in.example.edu/up?format=csv&x=1', password: undefined, query: 'access_token=abc%2Fdef&sig=s1',
    });
    assert.deepEqual(splitCredentials('https://in.example.edu/up#token=t'), { url: 'https://in.example.edu/up', password: undefined, query: 'token=t' });
    assert.equal(splitCredentials('ftp://exporter@ftp.example.edu/in/'), undefined, 'a user name alone is not a credential');
    assert.equal(splitCredentials('https://in.example.edu/up?format=csv'), undefined);
    assert.equal(splitCredentials('not a url'), undefined);
  });

  it('refuses with a pointer to the secrets endpoint', () => {
    const path = '/domains/d/jobs/j/secrets';
    assert.match(credentialsRefusal('destinationUrl', 'ftp://u:p@h/x', path) ?? '', /destinationUrl carries a password.*PUT \/domains\/d\/jobs\/j\/secrets\/password/);
    assert.match(credentialsRefusal('destinationUrl', 'https://h/x?Token=1', path) ?? '', /Token.*PUT \/domains\/d\/jobs\/j\/secrets\/query/);
    assert.equal(credentialsRefusal('destinationUrl', 'ftp://u@h/x', path), undefined);
  });

  it('never shows a credential in a view', () => {
    assert.equal(redactUrl('ftp://u:p@h/x'), 'ftp://h/x');
    assert.equal(redactUrl('https://h/x?format=csv&access_token=abc'), 'https://h/x?format=csv&access_token=***');
    assert.equal(redactUrl('https://h/x?format=csv'), 'https://h/x?format=csv');
    assert.equal(redactUrl(null), null);
  });
});
