import type { z } from 'zod';
import type { Direction } from '../domain/jobDefinition';
import type { Timing } from '../domain/schedule';
import type { ImportRules } from './importRules';

/** One field of a task type's records: its header name, SQL column and header aliases. */
export interface FieldSpec {
  name: string;
  column: string;
  /** SQL type of the column; text unless said. */
  sqlType?: 'integer' | 'boolean' | 'date';
  /** Other header names sampling maps onto this field. */
  aliases?: string[];
}

/** The job rules that keep only rows whose field holds one of the listed values (importRules.ts). */
export type FilterRule = 'campuses' | 'terms';

/** Job rules (importRules.ts) a task type's own processing rules may read. */
export type RuleSetting = 'importCanceled' | 'deleteCanceled';

/** What an export of the type needs beyond its fields (the columns, in order) and its table (the rows). */
export interface ExportFacts {
  /** The file name a directory destination gets, without extension. */
  fileStem: string;
  /**
   * Whether changes to the table are recorded in an outbox, so a realtime job can send them:
   * the change capture changeCapture.ts generates, installed by a migration.
   */
  realtime?: boolean;
  /**
   * For an XML task type: the document's root element, and the attribute of each record
   * element (xmlRecord) that holds the key; the other fields are child elements.
   */
  xml?: { root: string; keyAttribute: string };
}

/** A rule that turns a parsed record into a row or a rejection, per field. */
export type RowSchema = z.ZodType<Record<string, string | number | null>, Record<string, string>>;

/**
 * A task type: what moves, in which direction and format (PRODUCT.md, Concepts), and every
 * fact the import and export paths need about it. Adding one is one module in this folder,
 * a migration for its table (and its change capture, if it exports in realtime), its tests
 * and a line in registry.ts; test/import/taskTypeConsistency.test.ts holds each against the
 * migrated database.
 */
export interface TaskType {
  name: string;
  description: string;
  directions: readonly Direction[];
  format: 'csv' | 'xml';
  /** Fields in their canonical order: the export column order and the staging layout. */
  fields: readonly FieldSpec[];
  /** The natural key's field name. */
  key: string;
  /** Target table, keyed by (domain, key column). */
  table: string;
  /** Validates a record of raw strings (by field name) into typed column values. */
  rowSchema: RowSchema;
  /**
   * Optional fast path with exactly rowSchema's rules and messages (the first failing field
   * in field order), for the hot loop: zod costs about 10 µs a row. Tests hold the two equal.
   */
  parseRow?(values: Record<string, string>): ParsedRow;
  /** Warnings a single row raises on its own, possibly clearing values (returns kinds). */
  rowWarnings?(row: Record<string, string | number | null>): string[];
  /** SQL run while processing a staged run, for warnings that need the existing data. */
  processSql?: readonly ProcessRule[];
  /** For XML: the element that holds one record (default: each child of the root). */
  xmlRecord?: string;
  /**
   * Job rule → field it filters on: imports skip, and exports leave out, rows whose value is
   * not one of the rule's (an empty list keeps nothing). Types without the field ignore the rule.
   */
  filters?: Partial<Record<FilterRule, string>>;
  /** Present when the type exports (directions has 'export'). */
  export?: ExportFacts;
  /** The automatic schedule (seed 003). */
  defaultTiming: Timing;
}

/**
 * A set-based processing rule over a run's staging table (columns: line, the fields,
 * warnings text[], action 'upsert' | 'delete' | 'skip'). `sql` may use {staging},
 * {target}, {domain} and {rules} (the job's rules, jsonb). It flags rows by
 * appending its warning kind to `warnings`, once to every row it updates (processing counts
 * the warnings by the statement's row count), and may change their action.
 */
export interface ProcessRule {
  warning: string;
  sql: string;
  /** The job rules the rule reads besides its row (forms offer them for the type's imports). */
  settings?: readonly RuleSetting[];
  /**
   * Whether the rule may touch a row, judged from the validated row alone (a superset: true
   * when unsure). When no staged row may, processing skips the rule's SQL. Absent: always run.
   */
  mayTouch?(row: Record<string, string | number | null>): boolean;
  /**
   * The rule's effect on one row when the domain has no rows of the type yet (a first load,
   * which goes straight into the table without staging: io/import/directLoad.ts), given the
   * row's action so far: its action after the rule and whether it gets the warning. Absent:
   * the rule needs the database even then, and the type's first loads are staged.
   */
  firstLoad?(row: Record<string, string | number | null>, action: RowAction, rules: ImportRules): { action: RowAction; warn: boolean };
}

export type RowAction = 'upsert' | 'delete' | 'skip';

export type ParsedRow = { ok: true; row: Record<string, string | number | null> } | { ok: false; column: string; message: string };

/** rowSchema's result in ParsedRow form: the slow, always-available path. */
export function parseWithSchema(taskType: TaskType, values: Record<string, string>): ParsedRow {
  const parsed = taskType.rowSchema.safeParse(values);
  if (parsed.success) return { ok: true, row: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, column: String(issue.path[0] ?? ''), message: issue.message };
}
