export * from './job';
export * from './run';
export * from './apiToken';
export * from './section';
export * from './auditEntry';
export * from './user';
export * from './trainingHistory';
import { JobSchema } from './job';
import { RejectedRowSchema, RunLogSchema, RunSchema } from './run';
import { ApiTokenSchema } from './apiToken';
import { SectionSchema } from './section';
import { AuditEntrySchema } from './auditEntry';
import { UserSchema } from './user';
import { TrainingRecordSchema } from './trainingHistory';

export const ALL_ENTITIES = [JobSchema, RunSchema, RunLogSchema, RejectedRowSchema, ApiTokenSchema, SectionSchema, AuditEntrySchema, UserSchema, TrainingRecordSchema];
