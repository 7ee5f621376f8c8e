import type pg from 'pg';

/**
 * Runs `fn` in a transaction on a connection of its own. On failure the connection is
 * discarded rather than rolled back: the server aborts the transaction when it goes, and a
 * COPY left open by the failure cannot hold a ROLLBACK (and the activity) waiting forever.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  const db = guardClient(await pool.connect());
  try {
    await db.query('begin');
    const result = await fn(db);
    await db.query('commit');
    db.release();
    return result;
  } catch (e) {
    db.release(e instanceof Error ? e : new Error(String(e)));
    throw e;
  }
}

const guarded = new WeakSet<pg.PoolClient>();

/**
 * A connection cut while it is checked out (a COPY in flight, say) emits 'error' on the
 * client; with no listener that is an uncaught exception that kills the worker. The query in
 * flight fails anyway and is handled there, so one listener per client only keeps the
 * process alive.
 */
export function guardClient(db: pg.PoolClient): pg.PoolClient {
  if (!guarded.has(db)) {
    guarded.add(db);
    db.on('error', () => undefined);
  }
  return db;
}
