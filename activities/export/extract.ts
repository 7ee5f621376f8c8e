import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { FieldSpec } from '../../taskTypes/taskType';
import type { ExportRules, ExportSpec } from './exportTypes';
import { formulaSafeSql } from './render';

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
function exportedValueSql(col: string, sqlType: FieldSpec['sqlType']): string {
  switch (sqlType) {
    case 'integer':
      return col;
    case 'boolean':
      return `case when ${col} then 'true' when not ${col} then 'false' end`;
    case 'date':
      return `to_char(${col}, 'YYYY-MM-DD')`;
    default:
      return formulaSafeSql(col);
  }
}

/** The SELECT an export runs: the task type's fields in order, formula-safe, key order. */
export function exportSelect(db: Pick<pg.ClientBase, 'escapeLiteral'>, spec: ExportSpec, domain: string, rules: ExportRules): string {
  const t = spec.taskType;
  const columns = spec.fields.map((f) => `${exportedValueSql(`t.${quoteIdent(f.column)}`, f.sqlType)} as ${quoteIdent(f.name)}`);
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

/** Streams the export into `file` (through `file`.part, renamed when complete). */
export async function extractToFile(
  pool: pg.Pool,
  spec: ExportSpec,
  domain: string,
  rules: ExportRules,
  file: string,
  onProgress: (bytes: number) => void = () => undefined,
): Promise<ExtractResult> {
  const part = `${file}.part`;
  const db = await pool.connect();
  try {
    const sql = `copy (${exportSelect(db, spec, domain, rules)}) to stdout with (format csv, header true)`;
    const source = db.query(copyTo(sql));
    let bytes = 0;
    let reported = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes - reported >= 4 * 1024 * 1024) {
          reported = bytes;
          onProgress(bytes);
        }
        done(null, chunk);
      },
    });
    await pipeline(source, counter, fs.createWriteStream(part, { highWaterMark: 1024 * 1024 }));
    await fsp.rename(part, file);
    return { rows: source.rowCount, bytes };
  } catch (e) {
    await fsp.rm(part, { force: true });
    throw e;
  } finally {
    db.release();
  }
}
