import { EntitySchema } from '@mikro-orm/core';
import type { RunTrigger } from '../../domain/jobDefinition';
import type { RunStatus } from '../../domain/runStatus';
import type { ReadMarks } from '../../domain/importProgress';

/** One run of a job, written by activities at its start, as it goes, and at its end. */
export interface Run {
  id: string;
  jobId: string;
  domain: string;
  number: number;
  workflowId: string;
  trigger: RunTrigger;
  attempt: number;
  status: RunStatus;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  skipped: number;
  warnings: number;
  rejected: number;
  warningsByKind: Record<string, number>;
  failedPct: number;
  reason?: string | null;
  startedAt: Date;
  endedAt?: Date | null;
  /** For a scheduled run: the time its schedule meant it for (the missed-schedule ledger tells a time that got its run). */
  scheduledAt?: Date | null;
  /** When a person asked to cancel it (activities/runPhases.ts stops before its next phase). */
  cancelRequestedAt?: Date | null;
  /** The files this run read, kept so the load renames exactly those. */
  sourceFiles: string[];
  /** Set when processing committed, so a retried processing step does not run twice. */
  processedAt?: Date | null;
  /** Set in the load's own transaction: the data is in, and a retried load must not redo it. */
  committedAt?: Date | null;
  /** An import's last committed reading checkpoint (io/import/validate.ts): where a retry resumes, and its progress. */
  stageCheckpoint?: ReadMarks | null;
}

export interface RunLog {
  id: string;
  runId: string;
  at: Date;
  level: 'info' | 'warn' | 'error';
  message: string;
}

/**
 * A row an import refused (table rejected_rows). Not an ORM entity: imports write these rows with
 * COPY and the API reads them with a cursor (api/routes/runs.ts), so only the shape is shared.
 */
export interface RejectedRow {
  id: string;
  runId: string;
  line: number;
  column?: string | null;
  reason: string;
  raw: string;
}

const counter = { type: 'integer' } as const;

export const RunSchema = new EntitySchema<Run>({
  name: 'Run',
  tableName: 'runs',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    jobId: { type: 'uuid' },
    domain: { type: 'text' },
    number: { type: 'integer' },
    workflowId: { type: 'text' },
    trigger: { type: 'text' },
    attempt: { type: 'integer' },
    status: { type: 'text' },
    read: counter, inserted: counter, updated: counter, unchanged: counter,
    deleted: counter, skipped: counter, warnings: counter, rejected: counter,
    warningsByKind: { type: 'json' },
    failedPct: { type: 'double' },
    reason: { type: 'text', nullable: true },
    startedAt: { type: 'Date' },
    endedAt: { type: 'Date', nullable: true },
    scheduledAt: { type: 'Date', nullable: true },
    cancelRequestedAt: { type: 'Date', nullable: true },
    sourceFiles: { type: 'json' },
    processedAt: { type: 'Date', nullable: true },
    committedAt: { type: 'Date', nullable: true },
    stageCheckpoint: { type: 'json', nullable: true },
  },
});

export const RunLogSchema = new EntitySchema<RunLog>({
  name: 'RunLog',
  tableName: 'run_logs',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    runId: { type: 'bigint' },
    at: { type: 'Date' },
    level: { type: 'text' },
    message: { type: 'text' },
  },
});
