import { loadConfig } from '../infra/config';
import { ensurePostgres } from '../infra/postgres';
import { migrate, openOrm } from './orm';

/** `npm run migrate`: applies pending migrations to the database npm start would use. */
async function main() {
  const config = loadConfig();
  const pg = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedPort: config.EMBEDDED_POSTGRES_PORT });
  const orm = await openOrm(pg.url);
  try {
    const applied = await migrate(orm, config);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
  } finally {
    await orm.close();
    await pg.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
