import fs from 'node:fs';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createToken, hashToken } from '../api/http/auth';
import { ApiTokenSchema } from '../db/entities';

/**
 * The local system administrator's token for `npm start`: created once, kept in
 * DATA_DIR/admin-token (readable by its owner only), never printed.
 */
export async function ensureAdminToken(orm: MikroORM, dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'admin-token');
  // A token file from another database (DATABASE_URL changed) is replaced.
  if (fs.existsSync(file)) {
    const known = await orm.em.fork().findOne(ApiTokenSchema, { tokenHash: hashToken(fs.readFileSync(file, 'utf8').trim()), revokedAt: null });
    if (known) return file;
  }
  const { token } = await createToken(orm, { name: 'local admin', role: 'system_admin' });
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return file;
}
