import path from 'node:path';
import pg from 'pg';
import { startEmbeddedCluster } from './embeddedPostgres';

/**
 * Finds PostgreSQL, in the order the README documents:
 *   1. DATABASE_URL, if set (the value `embedded` forces step 3).
 *   2. The server on 127.0.0.1:5432, if it answers (user postgres, database `jobflow`).
 *   3. An embedded real PostgreSQL (infra/embeddedPostgres.ts) kept in DATA_DIR/postgres.
 */

export interface Postgres {
  url: string;
  source: 'env' | 'local' | 'embedded';
  /** The server's process, when we started it. */
  pid?: number;
  stop(): Promise<void>;
}

const LOCAL_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Replaces the database name in a connection URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates `database` on the server behind adminUrl if it does not exist yet. */
export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** Drops and recreates `database`: for tests, which never touch a user's data. */
export async function recreateDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
    await client.query(`create database ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

async function startEmbedded(dataDir: string, port: number, log: (l: string) => void): Promise<Postgres> {
  const cluster = await startEmbeddedCluster(path.join(dataDir, 'postgres'), port, log);
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  await createDatabaseIfMissing(adminUrl, 'jobflow');
  return { url: withDatabase(adminUrl, 'jobflow'), source: 'embedded', pid: cluster.pid, stop: () => cluster.stop() };
}

export async function ensurePostgres(opts: {
  databaseUrl?: string;
  dataDir: string;
  embeddedPort: number;
  log?: (l: string) => void;
}): Promise<Postgres> {
  const log = opts.log ?? ((l) => console.error(l));
  if (opts.databaseUrl && opts.databaseUrl !== 'embedded') {
    return { url: opts.databaseUrl, source: 'env', stop: async () => undefined };
  }
  if (opts.databaseUrl !== 'embedded' && (await answers(LOCAL_ADMIN_URL))) {
    await createDatabaseIfMissing(LOCAL_ADMIN_URL, 'jobflow');
    return { url: withDatabase(LOCAL_ADMIN_URL, 'jobflow'), source: 'local', stop: async () => undefined };
  }
  return startEmbedded(opts.dataDir, opts.embeddedPort, log);
}
