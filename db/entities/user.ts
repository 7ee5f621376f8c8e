import { EntitySchema } from '@mikro-orm/core';

/** A person: the target of usersCsv imports. */
export interface User {
  domain: string;
  userId: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  role: string;
  department?: string | null;
  active: boolean;
  lastRunId?: string | null;
  updatedAt: Date;
}

const text = { type: 'text', nullable: true } as const;

export const UserSchema = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  properties: {
    domain: { type: 'text', primary: true },
    userId: { type: 'text', primary: true },
    email: { type: 'text' },
    firstName: text, lastName: text,
    role: { type: 'text' },
    department: text,
    active: { type: 'boolean' },
    lastRunId: { type: 'bigint', nullable: true },
    updatedAt: { type: 'Date' },
  },
});
