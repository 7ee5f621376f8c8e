import { EntitySchema } from '@mikro-orm/core';

export const ROLES = ['system_admin', 'domain_admin', 'read_only'] as const;
export type Role = (typeof ROLES)[number];

/** A bearer token. Only its SHA-256 hash is stored; the token itself is shown once. */
export interface ApiToken {
  id: string;
  name: string;
  tokenHash: string;
  role: Role;
  /** The domain a domain_admin or read_only token is bound to; null for system_admin. */
  domain?: string | null;
  createdAt: Date;
  revokedAt?: Date | null;
}

export const ApiTokenSchema = new EntitySchema<ApiToken>({
  name: 'ApiToken',
  tableName: 'api_tokens',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'text' },
    tokenHash: { type: 'text', unique: true },
    role: { type: 'text' },
    domain: { type: 'text', nullable: true },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    revokedAt: { type: 'Date', nullable: true },
  },
});
