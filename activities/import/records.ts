import type { ImportRules } from '../../taskTypes/importRules';
import type { TaskType } from '../../taskTypes/taskType';
import { readCsvRecords, type CsvItem } from './csvRecords';
import { readXmlRecords } from './xmlRecords';

/** A source record keyed by field name, or a rejection; `line` is where it starts in its file. */
export type SourceItem = CsvItem;

/** The reader for the task type's format; every reader streams and yields the same items. */
export function readRecords(file: string, taskType: TaskType, rules: ImportRules): AsyncGenerator<SourceItem> {
  return taskType.format === 'xml' ? readXmlRecords(file, taskType, rules) : readCsvRecords(file, taskType, rules);
}
