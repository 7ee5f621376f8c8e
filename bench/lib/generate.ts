import fs from 'node:fs';

export const SECTION_COLUMNS = [
  'section_id', 'course_code', 'section_number', 'title', 'instructor', 'term', 'campus', 'status',
  'meeting_days', 'start_time', 'end_time', 'room', 'capacity', 'enrolled',
] as const;

/** Writes a realistic sectionsCsv file of `rows` rows (some quoted titles, a few canceled, some bad patterns), streamed. */
export function generateSections(file: string, rows: number): number {
  const fd = fs.openSync(file, 'w');
  let text = SECTION_COLUMNS.join(',') + '\n';
  for (let i = 1; i <= rows; i++) {
    const title = i % 13 === 0 ? `"Topics, ""special"" ${i}"` : `Course title number ${i}`;
    const status = i % 50 === 0 ? 'canceled' : 'active';
    const days = ['MWF', 'TR', 'M', ''][i % 4];
    const start = i % 4 === 3 ? '' : '09:00';
    const end = i % 4 === 3 ? '' : '09:50';
    const room = i % 10 === 0 ? '' : `RM-${i % 700}`;
    text += `S${String(i).padStart(8, '0')},C${i % 5000},${String(i % 30).padStart(2, '0')},${title},Instructor ${i % 2000},${i % 2 ? '2026SP' : '2026FA'},${['MAIN', 'NORTH', 'SOUTH'][i % 3]},${status},${days},${start},${end},${room},${20 + (i % 200)},${i % 180}\n`;
    if (text.length > 1 << 20) {
      fs.writeSync(fd, text);
      text = '';
    }
  }
  fs.writeSync(fd, text);
  fs.closeSync(fd);
  return fs.statSync(file).size;
}
