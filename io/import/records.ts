import type { ReadOptions } from '../safeFiles';
import type { ImportRules } from '../../taskTypes/importRules';
import type { TaskType } from '../../taskTypes/taskType';
import { readCsvBatches, readCsvRecords, type CsvItem } from './csvRecords';
import { readXmlRecords } from './xmlRecords';

/** A source record keyed by field name, or a rejection; `line` is where it starts in its file. */
export type SourceItem = CsvItem;

/** The reader for the task type's format; every reader streams and yields the same items. */
export function readRecords(file: string, taskType: TaskType, rules: ImportRules, read: ReadOptions): AsyncGenerator<SourceItem> {
  return taskType.format === 'xml' ? readXmlRecords(file, taskType, rules, read) : readCsvRecords(file, taskType, rules, read);
}

/** readRecords a batch at a time (CSV: a decoded chunk's records, parsed as iterated; XML: one record), for the hot loop. */
export async function* readRecordBatches(file: string, taskType: TaskType, rules: ImportRules, read: ReadOptions): AsyncGenerator<Iterable<SourceItem>> {
  if (taskType.format !== 'xml') {
    yield* readCsvBatches(file, taskType, rules, read);
    return;
  }
  for await (const item of readXmlRecords(file, taskType, rules, read)) yield [item];
}
