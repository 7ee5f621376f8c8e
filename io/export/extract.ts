import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { FieldSpec } from '../../taskTypes/taskType';
import type { ExportRules, ExportSpec } from './exportTypes';
import { guardClient, inTransaction } from '../../db/transaction';
import { formulaSafeSql } from '../csvWriter';
import { xmlEpilogue, xmlPrologue, xmlRecordElement } from './render';
import { Spool } from './spool';

/**
 * Batch extraction: one `COPY (SELECT ...) TO STDOUT (FORMAT csv, HEADER)` streams the
 * domain's rows, filtered by the job's rules, already rendered (formula escaping in the
 * SELECT), into a spool file. One statement is one snapshot; memory holds one chunk at a
 * time whatever the table's size. The row count is the server's own (`COPY n`).
 */

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * A column's exported text: numbers as numbers, booleans as true/false and dates as
 * YYYY-MM-DD (what the import side reads back, whatever the session's DateStyle), text
 * formula-safe.
 */
function exportedValueSql(col: string, sqlType: FieldSpec['sqlType'], formulaSafe: boolean): string {
  switch (sqlType) {
    case 'integer':
      return formulaSafe ? col : `${col}::text`;
    case 'boolean':
      return `case when ${col} then 'true' when not ${col} then 'false' end`;
    case 'date':
      return `to_char(${col}, 'YYYY-MM-DD')`;
    default:
      return formulaSafe ? formulaSafeSql(col) : col;
  }
}

/**
 * The SELECT an export runs: the task type's fields in order, key order; formula-safe for
 * CSV, and for XML every value as text, as stored.
 */
export function exportSelect(db: Pick<pg.ClientBase, 'escapeLiteral'>, spec: ExportSpec, domain: string, rules: ExportRules): string {
  const t = spec.taskType;
  const csv = t.format === 'csv';
  const columns = spec.fields.map((f) => `${exportedValueSql(`t.${quoteIdent(f.column)}`, f.sqlType, csv)} as ${quoteIdent(f.name)}`);
  const where = [`t.domain = ${db.escapeLiteral(domain)}`];
  for (const [rule, column] of Object.entries(spec.descriptor.filters)) {
    const values = rules[rule as keyof ExportRules];
    if (!values) continue;
    // An empty list keeps nothing, as a filter with no allowed value should.
    where.push(values.length ? `t.${quoteIdent(column)} in (${values.map((v) => db.escapeLiteral(v)).join(', ')})` : 'false');
  }
  const key = spec.fields.find((f) => f.name === t.key)!.column;
  return `select ${columns.join(', ')} from ${quoteIdent(t.table)} t where ${where.join(' and ')} order by t.${quoteIdent(key)}`;
}

export interface ExtractResult {
  rows: number;
  bytes: number;
}

/** Streams the export into `file` (through `file`.part, renamed when complete), as CSV or XML by the task type's format. */
export async function extractToFile(
  pool: pg.Pool,
  spec: ExportSpec,
  domain: string,
  rules: ExportRules,
  file: string,
  onProgress: (bytes: number) => void = () => undefined,
): Promise<ExtractResult> {
  return spec.taskType.format === 'xml' ? extractXmlToFile(pool, spec, domain, rules, file, onProgress) : extractCsvToFile(pool, spec, domain, rules, file, onProgress);
}

async function extractCsvToFile(
  pool: pg.Pool,
  spec: ExportSpec,
  domain: string,
  rules: ExportRules,
  file: string,
  onProgress: (bytes: number) => void,
): Promise<ExtractResult> {
  const db = guardClient(await pool.connect());
  try {
    return await Spool.produce(file, async (spool) => {
      const source = db.query(copyTo(`copy (${exportSelect(db, spec, domain, rules)}) to stdout with (format csv, header true)`));
      await spool.pipeFrom(source);
      return { rows: source.rowCount, bytes: spool.bytes };
    }, onProgress);
  } finally {
    db.release();
  }
}

/** Rows a cursor fetch brings at a time: what an XML export holds in memory. */
const XML_FETCH_ROWS = 2_000;

/**
 * XML extraction: a cursor over the same SELECT (one transaction, so one snapshot), fetched
 * a page at a time and rendered element by element into the spool file, waiting for the
 * file when it is behind; memory holds one page whatever the table's size.
 */
async function extractXmlToFile(
  pool: pg.Pool,
  spec: ExportSpec,
  domain: string,
  rules: ExportRules,
  file: string,
  onProgress: (bytes: number) => void,
): Promise<ExtractResult> {
  const xml = spec.descriptor.xml!;
  const record = spec.taskType.xmlRecord!;
  const fieldNames = spec.fields.map((f) => f.name);
  return Spool.produce(file, async (spool) => {
    const rows = await inTransaction(pool, async (db) => {
      await db.query('set transaction isolation level repeatable read, read only');
      await db.query(`declare export_rows no scroll cursor for ${exportSelect(db, spec, domain, rules)}`);
      await spool.write(xmlPrologue(xml.root));
      let n = 0;
      for (;;) {
        const page = await db.query<Record<string, string | null>>(`fetch forward ${XML_FETCH_ROWS} from export_rows`);
        let chunk = '';
        for (const row of page.rows) chunk += xmlRecordElement(record, xml.keyAttribute, spec.taskType.key, fieldNames, row);
        if (chunk) await spool.write(chunk);
        n += page.rows.length;
        if (page.rows.length < XML_FETCH_ROWS) break;
      }
      await db.query('close export_rows');
      return n;
    });
    await spool.write(xmlEpilogue(xml.root));
    return { rows, bytes: spool.bytes };
  }, onProgress);
}
