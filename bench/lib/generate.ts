import fs from 'node:fs';

export const SECTION_COLUMNS = [
  'section_id', 'course_code', 'section_number', 'title', 'instructor', 'term', 'campus', 'status',
  'meeting_days', 'start_time', 'end_time', 'room', 'capacity', 'enrolled',
] as const;

/**
 * Which version of the file: `first` is the realistic base file; `changed` is the same file
 * a term later, with 10% of its rows changed (title and enrolment), 1% deleted (marked
 * canceled: how a sectionsCsv file deletes a section) and 1% new rows at the end.
 */
export type SectionsVersion = 'first' | 'changed';

/** Row i of the file (1-based) as CSV text with its line end. */
function sectionLine(i: number, version: SectionsVersion): string {
  const changed = version === 'changed' && i % 10 === 5;
  const deleted = version === 'changed' && i % 100 === 7;
  const title = i % 13 === 0 ? `"Topics, ""special"" ${i}"` : `Course title number ${i}${changed ? ' (revised)' : ''}`;
  const status = i % 50 === 0 || deleted ? 'canceled' : 'active';
  const days = ['MWF', 'TR', 'M', ''][i % 4];
  const start = i % 4 === 3 ? '' : '09:00';
  const end = i % 4 === 3 ? '' : '09:50';
  const room = i % 10 === 0 ? '' : `RM-${i % 700}`;
  const enrolled = (i % 180) + (changed ? 1 : 0);
  return `S${String(i).padStart(8, '0')},C${i % 5000},${String(i % 30).padStart(2, '0')},${title},Instructor ${i % 2000},${i % 2 ? '2026SP' : '2026FA'},${['MAIN', 'NORTH', 'SOUTH'][i % 3]},${status},${days},${start},${end},${room},${20 + (i % 200)},${enrolled}\n`;
}

/** Writes a realistic sectionsCsv file of `rows` rows (some quoted titles, a few canceled, some bad patterns), streamed; returns its size. */
export function generateSections(file: string, rows: number, version: SectionsVersion = 'first'): number {
  const fd = fs.openSync(file, 'w');
  let text = SECTION_COLUMNS.join(',') + '\n';
  const last = version === 'changed' ? rows + Math.floor(rows / 100) : rows;
  for (let i = 1; i <= last; i++) {
    text += sectionLine(i, version);
    if (text.length > 1 << 20) {
      fs.writeSync(fd, text);
      text = '';
    }
  }
  fs.writeSync(fd, text);
  fs.closeSync(fd);
  return fs.statSync(file).size;
}

/** Rows a version of the file holds. */
export const sectionsRows = (rows: number, version: SectionsVersion) => (version === 'changed' ? rows + Math.floor(rows / 100) : rows);
