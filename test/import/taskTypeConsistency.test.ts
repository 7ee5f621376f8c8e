import assert from 'node:assert/strict';
import pg from 'pg';
import { bindRule } from '../../activities/importPhases';
import { createStaging, stagingTable } from '../../io/import/staging';
import { exportSpecOf } from '../../io/export/exportTypes';
import { importRulesSchema } from '../../taskTypes/importRules';
import { changeCaptureOf, outboxOf } from '../../taskTypes/changeCapture';
import { sectionsCsv } from '../../taskTypes/sectionsCsv';
import type { TaskType } from '../../taskTypes/taskType';
import { usersCsv } from '../../taskTypes/usersCsv';
import { testEnv } from '../setup/globalHooks';
import { registeredTaskTypes } from './registeredTaskTypes';

/**
 * Every registered task type against the migrated database: what its module says and what
 * the migrations made must agree, or a job saves and then fails at its first run. A type's
 * target table has exactly the type's fields (names and SQL types) beside the bookkeeping
 * columns, its key is unique per domain, it has export facts when it exports, and a
 * realtime type's change capture is installed as changeCapture.ts generates it today.
 */

/** Columns every target table has beside the fields: the tenant, and what the load writes. */
const BOOKKEEPING: Record<string, string> = { domain: 'text', last_run_id: 'bigint', updated_at: 'timestamp with time zone' };

async function columnsOf(db: pg.Pool, table: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ column_name: string; data_type: string }>(
    'select column_name, data_type from information_schema.columns where table_schema = current_schema() and table_name = $1', [table]);
  return new Map(rows.map((r) => [r.column_name, r.data_type]));
}

/** What in the database (or the module itself) disagrees with the task type, in words; empty when all agree. */
async function problemsOf(db: pg.Pool, t: TaskType): Promise<string[]> {
  const problems: string[] = [];
  const names = t.fields.map((f) => f.name);
  const key = t.fields.find((f) => f.name === t.key);
  if (!key) problems.push(`its key ${t.key} is not one of its fields`);
  if (new Set(names).size !== names.length) problems.push('two fields have the same name');

  // The target table: exactly the fields, with their SQL types, and the bookkeeping columns.
  const columns = await columnsOf(db, t.table);
  if (!columns.size) problems.push(`table ${t.table} does not exist`);
  else {
    const expected = new Map([...Object.entries(BOOKKEEPING), ...t.fields.map((f) => [f.column, f.sqlType ?? 'text'] as const)]);
    for (const [column, type] of expected) {
      const actual = columns.get(column);
      if (!actual) problems.push(`${t.table} has no column ${column}`);
      else if (actual !== type) problems.push(`${t.table}.${column} is ${actual}, the task type says ${type}`);
    }
    for (const column of columns.keys()) if (!expected.has(column)) problems.push(`${t.table}.${column} is not a field of the task type`);
    if (key) {
      const { rows } = await db.query<{ cols: string[] }>(
        `select array_agg(a.attname::text order by a.attname) as cols from pg_index i
           join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
         where i.indrelid = $1::regclass and i.indisunique and i.indpred is null group by i.indexrelid`, [t.table]);
      const wanted = ['domain', key.column].sort().join(',');
      if (!rows.some((r) => r.cols.join(',') === wanted)) problems.push(`${t.table} has no unique index on (domain, ${key.column}): the key is not unique per domain`);
    }
  }

  // Its processing rules are valid SQL over a staging table of its fields and its target table
  // (planned, not run, in a transaction rolled back).
  if (t.processSql?.length && columns.size) {
    const client = await db.connect();
    try {
      await client.query('begin');
      await createStaging(client, 'consistency_check', t);
      for (const rule of t.processSql) {
        const bound = bindRule(rule.sql, { staging: stagingTable('consistency_check'), target: t.table, domain: 'd', rules: importRulesSchema.parse({}) });
        await client.query(`savepoint rule`);
        try {
          await client.query(`explain ${bound[0]}`, bound[1]);
        } catch (e) {
          problems.push(`processing rule ${rule.warning} does not plan: ${(e as Error).message}`);
          await client.query('rollback to savepoint rule');
        }
      }
    } finally {
      await client.query('rollback');
      client.release();
    }
  }

  // The job rules a processing rule reads are declared, so forms offer them for the type.
  for (const rule of t.processSql ?? []) {
    for (const [, setting] of rule.sql.matchAll(/\{rules\}\s*->>?\s*'(\w+)'/g)) {
      if (!rule.settings?.includes(setting as never)) problems.push(`processing rule ${rule.warning} reads the job rule ${setting} but does not declare it in settings`);
    }
  }

  // Filters name fields; export facts are there exactly when the type exports.
  for (const [rule, field] of Object.entries(t.filters ?? {})) {
    if (!names.includes(field)) problems.push(`filter ${rule} names ${field}, which is not a field`);
  }
  const exports = t.directions.includes('export');
  if (exports && !t.export) problems.push('it exports but has no export facts');
  if (!exports && t.export) problems.push('it has export facts but does not export');
  if (exports && t.export) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(t.export.fileStem)) problems.push(`file stem ${JSON.stringify(t.export.fileStem)} is not a plain file name`);
    if (t.format === 'xml' && !(t.export.xml && t.xmlRecord)) problems.push('an XML export needs its document shape (export.xml) and record element (xmlRecord)');
    if (!exportSpecOf(t.name)) problems.push('exportSpecOf gives no export for it');
  }

  // Realtime: the outbox, and the generated capture installed as generated today.
  if (t.export?.realtime && key) {
    const o = outboxOf(t);
    const outbox = await columnsOf(db, o.table);
    const want = { id: 'bigint', domain: 'text', [o.keyColumn]: key.sqlType ?? 'text', op: 'text', row: 'jsonb', changed_at: 'timestamp with time zone' };
    for (const [column, type] of Object.entries(want)) {
      if (outbox.get(column) !== type) problems.push(`${o.table}.${column} is ${outbox.get(column) ?? 'missing'}, not ${type}`);
    }
    if (!(await columnsOf(db, o.prunePending)).has('domain')) problems.push(`table ${o.prunePending} does not exist`);
    const capture = changeCaptureOf(t);
    for (const f of capture.functions) {
      const { rows } = await db.query<{ prosrc: string }>(
        'select prosrc from pg_proc where proname = $1 and pronamespace = current_schema()::regnamespace', [f.name]);
      if (!rows.length) problems.push(`function ${f.name} does not exist`);
      else if (rows[0]!.prosrc !== f.body) problems.push(`function ${f.name} is not the one generated from the task type today: a migration must run changeCaptureSql again`);
    }
    for (const tr of capture.triggers) {
      const { rows } = await db.query<{ table: string; fn: string; enabled: string }>(
        `select c.relname::text as table, p.proname::text as fn, t.tgenabled as enabled from pg_trigger t
           join pg_class c on c.oid = t.tgrelid join pg_proc p on p.oid = t.tgfoid
         where not t.tgisinternal and t.tgname = $1`, [tr.name]);
      const found = rows[0];
      if (!found) problems.push(`trigger ${tr.name} does not exist`);
      else if (found.table !== tr.table || found.fn !== tr.function || found.enabled !== 'O') {
        problems.push(`trigger ${tr.name} is on ${found.table} calling ${found.fn} (enabled: ${found.enabled}), not on ${tr.table} calling ${tr.function}`);
      }
    }
  }
  return problems;
}

describe('task types agree with the migrated database', () => {
  let db: pg.Pool;
  before(() => {
    db = new pg.Pool({ connectionString: testEnv().databaseUrl, max: 2 });
  });
  after(async () => db?.end());

  for (const t of registeredTaskTypes()) {
    it(`${t.name}: table ${t.table}, key, export facts${t.export?.realtime ? ', change capture' : ''}`, async () => {
      assert.deepEqual(await problemsOf(db, t), []);
    });
  }

  it('the names derived from the tables do not collide', () => {
    const types = registeredTaskTypes();
    assert.equal(new Set(types.map((t) => t.name)).size, types.length, 'task type names');
    assert.equal(new Set(types.map((t) => t.table)).size, types.length, 'target tables');
  });

  it('finds what would break a job: a missing column, a wrong type, a key not unique, missing export facts, a stale capture', async () => {
    const extra: TaskType = { ...usersCsv, fields: [...usersCsv.fields, { name: 'nickname', column: 'nickname' }] };
    assert.deepEqual(await problemsOf(db, extra), ['users has no column nickname']);
    const retyped: TaskType = { ...usersCsv, fields: usersCsv.fields.map((f) => (f.name === 'active' ? { ...f, sqlType: undefined } : f)) };
    assert.deepEqual(await problemsOf(db, retyped), ['users.active is boolean, the task type says text']);
    const fewer: TaskType = { ...usersCsv, fields: usersCsv.fields.filter((f) => f.name !== 'department') };
    assert.deepEqual(await problemsOf(db, fewer), ['users.department is not a field of the task type']);
    assert.deepEqual(await problemsOf(db, { ...usersCsv, key: 'email' }), ['users has no unique index on (domain, email): the key is not unique per domain']);
    assert.deepEqual(await problemsOf(db, { ...usersCsv, table: 'no_such_table' }), ['table no_such_table does not exist']);
    assert.deepEqual(await problemsOf(db, { ...usersCsv, export: undefined }), ['it exports but has no export facts']);
    assert.deepEqual(await problemsOf(db, { ...usersCsv, export: { fileStem: 'users', realtime: true } }), [
      'users_outbox.id is missing, not bigint', 'users_outbox.domain is missing, not text', 'users_outbox.user_id is missing, not text',
      'users_outbox.op is missing, not text', 'users_outbox.row is missing, not jsonb', 'users_outbox.changed_at is missing, not timestamp with time zone',
      'table users_outbox_prune_pending does not exist',
      'function users_outbox_capture_rows does not exist', 'function users_outbox_cursor_start does not exist', 'function users_outbox_prune does not exist',
      'trigger users_outbox_insert does not exist', 'trigger users_outbox_update does not exist', 'trigger users_outbox_delete does not exist',
      'trigger users_outbox_cursor_start does not exist',
    ]);
    // Sections with a field the table lacks: the installed capture records the fields it was generated with.
    const widened: TaskType = { ...sectionsCsv, fields: [...sectionsCsv.fields, { name: 'notes', column: 'notes' }] };
    assert.deepEqual(await problemsOf(db, widened), [
      'sections has no column notes',
      'function sections_outbox_capture_rows is not the one generated from the task type today: a migration must run changeCaptureSql again',
    ]);
    assert.deepEqual(await problemsOf(db, { ...sectionsCsv, filters: { campuses: 'site' } }), ['filter campuses names site, which is not a field']);
    const badRule: TaskType = { ...usersCsv, processSql: [{ warning: 'no_manager', sql: `update {staging} s set warnings = array_append(s.warnings, 'no_manager') where s.manager is null` }] };
    assert.deepEqual(await problemsOf(db, badRule), ['processing rule no_manager does not plan: column s.manager does not exist']);
    const [canceled] = sectionsCsv.processSql!;
    const undeclared: TaskType = { ...sectionsCsv, processSql: [{ ...canceled!, settings: ['importCanceled'] }] };
    assert.deepEqual(await problemsOf(db, undeclared), ['processing rule canceled_section reads the job rule deleteCanceled but does not declare it in settings']);
  });
});
