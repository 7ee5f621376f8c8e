import { EntitySchema } from '@mikro-orm/core';
import type { Role } from './apiToken';

/** One change or run request made through the API: who, in which domain, what, and how it ended. */
export interface AuditEntry {
  id: string;
  at: Date;
  tokenId: string;
  tokenName: string;
  role: Role;
  /** The domain acted on; null for actions outside any domain (tokens of system administrators). */
  domain?: string | null;
  /** The API operation, e.g. runJob, updateJob, createToken. */
  action: string;
  /** What it acted on, e.g. jobs/sections or tokens/<id>. */
  target: string;
  /** ok, refused (4xx) or error (5xx). */
  outcome: 'ok' | 'refused' | 'error';
  httpStatus: number;
  detail?: string | null;
}

export const AuditEntrySchema = new EntitySchema<AuditEntry>({
  name: 'AuditEntry',
  tableName: 'audit_entries',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    at: { type: 'Date' },
    tokenId: { type: 'uuid' },
    tokenName: { type: 'text' },
    role: { type: 'text' },
    domain: { type: 'text', nullable: true },
    action: { type: 'text' },
    target: { type: 'text' },
    outcome: { type: 'text' },
    httpStatus: { type: 'integer' },
    detail: { type: 'text', nullable: true },
  },
});
