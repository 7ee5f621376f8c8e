import { EntitySchema } from '@mikro-orm/core';
import type { Direction, JobMode, SetupStatus } from '../../domain/jobDefinition';
import type { Scheduling } from '../../domain/schedule';

/** A job's definition, written by the API. Its live state lives in its job workflow. */
export interface Job {
  id: string;
  domain: string;
  /** Fixed at creation (seed 003), like the description. */
  identifier: string;
  description: string;
  name: string;
  taskType: string;
  direction: Direction;
  mode: JobMode;
  /** Task-type rules: mapping, encoding, delimiter, quote, header, filters, limits. */
  rules: Record<string, unknown>;
  sourceUrl?: string | null;
  destinationUrl?: string | null;
  scheduling: Scheduling;
  timezone: string;
  /** On-demand jobs keep "active" here; batch and realtime keep it on the schedule. */
  active: boolean;
  recipients: string[];
  sendReport: boolean;
  setupStatus: SetupStatus;
  /** What the last sample found wrong (empty unless setupStatus is sampling_failed). */
  samplingProblems?: string[];
  /** Highest run-log id the administrators have read: the unread-logs flag. */
  logsReadUpTo: string;
  createdAt: Date;
  updatedAt: Date;
}

export const JobSchema = new EntitySchema<Job>({
  name: 'Job',
  tableName: 'jobs',
  properties: {
    id: { type: 'uuid', primary: true },
    domain: { type: 'text' },
    identifier: { type: 'text' },
    description: { type: 'text' },
    name: { type: 'text' },
    taskType: { type: 'text' },
    direction: { type: 'text' },
    mode: { type: 'text' },
    rules: { type: 'json' },
    sourceUrl: { type: 'text', nullable: true },
    destinationUrl: { type: 'text', nullable: true },
    scheduling: { type: 'json' },
    timezone: { type: 'text' },
    active: { type: 'boolean' },
    recipients: { type: 'text[]' },
    sendReport: { type: 'boolean' },
    setupStatus: { type: 'text' },
    samplingProblems: { type: 'json' },
    logsReadUpTo: { type: 'bigint' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
  uniques: [{ properties: ['domain', 'identifier'] }],
});
