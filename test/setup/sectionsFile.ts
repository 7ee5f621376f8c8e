import fs from 'node:fs';
import { once } from 'node:events';

export const SECTIONS_HEADER = 'section_id,course_code,section_number,title,instructor,term,campus,status,meeting_days,start_time,end_time,room,capacity,enrolled';

/** The CSV line of generated section number i (valid, active, with a meeting and a room). */
export const sectionLine = (i: number, prefix = 'S') =>
  `${prefix}${i},C${i % 997},${String(i % 10).padStart(2, '0')},Course ${i} title,Instructor ${i % 311},2026FA,${i % 2 ? 'MAIN' : 'NORTH'},active,MWF,09:00,09:50,R-${i % 500},${30 + (i % 70)},${i % 30}`;

/** Streams a sectionsCsv file of `rows` generated rows to `file` (memory stays flat). */
export async function writeSectionsFile(file: string, rows: number, prefix = 'S'): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write(SECTIONS_HEADER + '\n');
  const chunk: string[] = [];
  for (let i = 1; i <= rows; i++) {
    chunk.push(sectionLine(i, prefix));
    if (chunk.length === 10_000 || i === rows) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
}
