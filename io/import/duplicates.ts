import path from 'node:path';
import type pg from 'pg';
import type { ReadOptions } from '../safeFiles';
import type { ImportRules } from '../../taskTypes/importRules';
import type { TaskType } from '../../taskTypes/taskType';
import { readRecords } from './records';
import { CopyWriter, stagingTable } from './staging';

/**
 * A key seen twice in one run: the later rows leave staging and are rejected with
 * "duplicate key (first seen on line N)". Their original text is read back from the files
 * only when there are duplicates, so staging need not keep every row's text.
 */
export async function findDuplicates(db: pg.ClientBase, runId: string, taskType: TaskType, rules: ImportRules, read: ReadOptions): Promise<number> {
  const staging = stagingTable(runId);
  const key = taskType.fields.find((f) => f.name === taskType.key)!.column;
  // Only keys validation may have seen twice are candidates (maybe_dup; see keyFilter.ts):
  // every row of such a key is ranked, the first kept, the later ones moved out.
  const moved = await db.query<{ file_index: number; line: number; first_file: number; first_line: number }>(
    `with candidates as (
            select s.ctid as id, s.file_index, s.line, s.${key} as k from ${staging} s
            where s.${key} in (select c.${key} from ${staging} c where c.maybe_dup)),
          ranked as (
            select id, file_index, line,
                   first_value(file_index) over w as first_file, first_value(line) over w as first_line,
                   row_number() over w as n
            from candidates
            window w as (partition by k order by file_index, line))
     delete from ${staging} s using ranked r where s.ctid = r.id and r.n > 1
     returning r.file_index, r.line, r.first_file, r.first_line`,
  );
  if (!moved.rowCount) return 0;
  const files = (await db.query<{ path: string }>('select path from import_files where run_id = $1 order by file_index', [runId])).rows.map((r) => r.path);
  const wanted = new Map(moved.rows.map((r) => [`${r.file_index}:${r.line}`, r]));
  const raws = new Map<string, string>();
  for (const fi of new Set(moved.rows.map((r) => r.file_index))) {
    for await (const item of readRecords(files[fi]!, taskType, rules, read)) {
      const k = `${fi}:${item.line}`;
      if (wanted.has(k)) raws.set(k, item.raw);
    }
  }
  const name = (i: number) => path.basename(files[i] ?? '');
  const several = files.length > 1;
  const rows = [...wanted.entries()].sort((a, b) => a[1].file_index - b[1].file_index || a[1].line - b[1].line);
  const out = new CopyWriter(db, 'rejected_rows', ['run_id', 'line', 'column_name', 'reason', 'raw']);
  for (const [k, r] of rows) {
    const where = r.first_file === r.file_index ? `line ${r.first_line}` : `line ${r.first_line} of ${name(r.first_file)}`;
    await out.write([runId, r.line, taskType.key, `${several ? `${name(r.file_index)}: ` : ''}duplicate key (first seen on ${where})`, raws.get(k) ?? '']);
  }
  await out.end();
  return moved.rowCount;
}
