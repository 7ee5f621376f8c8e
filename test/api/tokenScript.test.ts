import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { testEnv } from '../setup/globalHooks';
import { startApiSystem, type ApiSystem } from './helpers';

const run = promisify(execFile);

/** `npm run token`: a token created on the command line works against the API until revoked there. */
describe('token script', () => {
  let api: ApiSystem;
  before(async () => {
    api = await startApiSystem();
  });
  after(async () => api?.stop());

  const token = (...args: string[]) =>
    run(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/token.ts', ...args], {
      env: { ...process.env, DATABASE_URL: testEnv().databaseUrl },
    });

  it('creates (printing the token once), lists without secrets, and revokes', async () => {
    const created = await token('create', '--role', 'domain_admin', '--domain', 'acme', '--name', 'cli admin');
    const secret = created.stdout.trim();
    assert.match(secret, /^jf_\S+$/);
    const id = /Created token (\S+)/.exec(created.stderr)![1]!;
    assert.equal((await api.call(secret, 'GET', '/domains/acme/jobs')).status, 200);
    assert.equal((await api.call(secret, 'GET', '/domains/globex/jobs')).status, 404);

    const listed = await token('list');
    assert.match(listed.stdout, new RegExp(`${id}\\s+domain_admin\\s+acme\\s+.*active\\s+cli admin`));
    assert.ok(!listed.stdout.includes(secret));

    await token('revoke', id);
    assert.equal((await api.call(secret, 'GET', '/domains/acme/jobs')).status, 401);
  });

  it('refuses a domain role without a domain', async () => {
    await assert.rejects(token('create', '--role', 'read_only', '--name', 'x'), (e: { code: number; stderr: string }) => e.code === 2 && /needs --domain/.test(e.stderr));
  });
});
