export * from './job';
export * from './run';
export * from './apiToken';
export * from './auditEntry';
import { JobSchema } from './job';
import { RunLogSchema, RunSchema } from './run';
import { ApiTokenSchema } from './apiToken';
import { AuditEntrySchema } from './auditEntry';

/** The records the system keeps through the ORM; the imported data lives in the task types' tables, reached with SQL. */
export const ALL_ENTITIES = [JobSchema, RunSchema, RunLogSchema, ApiTokenSchema, AuditEntrySchema];
