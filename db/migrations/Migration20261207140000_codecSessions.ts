import { Migration } from '@mikro-orm/migrations';

/**
 * Codec sessions (api/routes/codec.ts): a browser's sign-in to the codec server, so that Temporal
 * Web, which sends cookies and no bearer token, can have payloads decoded. The cookie holds a
 * random session id; only its SHA-256 is kept here, with the token that signed in (revoking the
 * token ends its sessions: every use joins a live token) and when the session expires.
 */
export class Migration20261207140000_codecSessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table if not exists codec_sessions (
        id_hash text primary key,
        token_id uuid not null references api_tokens (id) on delete cascade,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null
      )`);
    this.addSql('create index if not exists codec_sessions_token on codec_sessions (token_id)');
    this.addSql('create index if not exists codec_sessions_expires on codec_sessions (expires_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists codec_sessions');
  }
}
