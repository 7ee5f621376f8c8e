import { parseArgs } from 'node:util';
import { createToken, listTokens, revokeToken } from '../api/http/auth';
import { ROLES, type Role } from '../db/entities';
import { migrate, openOrm } from '../db/orm';
import { loadConfig } from '../infra/config';
import { ensurePostgres } from '../infra/postgres';

/**
 * `npm run token -- <command>`: API tokens from the command line, against the database
 * npm start uses (DATABASE_URL, or the embedded one in DATA_DIR).
 *   create --role <role> [--domain <domain>] --name <name>   prints the token, once
 *   revoke <id>
 *   list [--all]                                              (never the tokens themselves)
 */
const USAGE = `Usage:
  npm run token -- create --role system_admin|domain_admin|read_only [--domain <domain>] --name "<who or what>"
  npm run token -- revoke <token id>
  npm run token -- list [--all]`;

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string' }, domain: { type: 'string' }, name: { type: 'string' }, all: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) return usage(values.help ? 0 : 2);

  const config = loadConfig();
  const pg = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  const orm = await openOrm(pg.url);
  try {
    await migrate(orm, config);
    switch (command) {
      case 'create': {
        const role = values.role as Role | undefined;
        if (!role || !ROLES.includes(role)) return fail(`--role is one of ${ROLES.join(', ')}.`);
        if (!values.name) return fail('--name says who or what the token is for.');
        if (role !== 'system_admin' && !values.domain) return fail(`A ${role} token needs --domain.`);
        if (role === 'system_admin' && values.domain) return fail('A system_admin token covers every domain; leave out --domain.');
        if (values.domain && !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(values.domain)) return fail('--domain: lower-case letters, digits, - and _.');
        const { id, token } = await createToken(orm, { name: values.name, role, domain: values.domain });
        console.error(`Created token ${id} (${role}${values.domain ? ` for ${values.domain}` : ''}, "${values.name}"). It is shown once; keep it safe:`);
        console.log(token);
        return;
      }
      case 'revoke': {
        const id = rest[0];
        if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return fail('revoke needs the token id (see list).');
        if (!(await revokeToken(orm, id))) return fail(`No active token ${id}.`);
        console.log(`Revoked ${id}.`);
        return;
      }
      case 'list': {
        const rows = await listTokens(orm, { includeRevoked: values.all });
        for (const t of rows) {
          console.log([t.id, t.role.padEnd(12), (t.domain ?? '*').padEnd(16), t.createdAt.toISOString(), t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active', t.name].join('  '));
        }
        if (!rows.length) console.log('No tokens.');
        return;
      }
      default:
        return usage(2);
    }
  } finally {
    await orm.close();
    await pg.stop();
  }
}

function usage(code: number) {
  (code ? console.error : console.log)(USAGE);
  process.exitCode = code;
}

function fail(message: string) {
  console.error(message);
  process.exitCode = 2;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
