import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { recoverRaw } from '../../io/csvWriter';
import { parseCsv } from '../import/helpers';
import { FORMULA_CELLS } from './formulaCells';
import { createExportJob, runExport, seedSections, startHarness, type ExportHarness } from './fixtures';

/**
 * Every export format with a cell for each formula start the CSV writer knows (ASCII,
 * full-width, small forms, after blanks, and the mark itself), read back from the delivered
 * file: CSV cells carry the mark and give the raw text back without it; XML carries values
 * as they are (it is read by programs, which must get the exact data; a spreadsheet opening
 * XML does not evaluate element text as formulas).
 */
describe('formula cells in every export format', () => {
  let h: ExportHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.stop());

  const only = (dir: string) => {
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1, files.join(', '));
    return fs.readFileSync(path.join(dir, files[0]!), 'utf8');
  };
  const checkColumn = (text: string, column: string, byKey: Map<string, string>, keyColumn: string) => {
    const [header, ...rows] = parseCsv(text);
    const at = header!.indexOf(column);
    const key = header!.indexOf(keyColumn);
    assert.equal(rows.length, byKey.size);
    for (const row of rows) {
      const raw = byKey.get(row[key]!)!;
      assert.equal(row[at], `'${raw}`, `${JSON.stringify(raw)} as written`);
      assert.equal(recoverRaw(row[at]!), raw);
    }
  };
  const cells = new Map(FORMULA_CELLS.map((v, i) => [`S${String(i).padStart(3, '0')}`, v]));

  it('sectionsCsv, batch', async () => {
    const { domain, out } = h.outFolder('batch-');
    const { ref } = await createExportJob(h, { domain, destinationUrl: `file://${out}/` });
    await seedSections(h.pool, ref.domain, [...cells].map(([id, v]) => ({ section_id: id, course_code: 'C', title: v })));
    await runExport(h, ref);
    checkColumn(only(out), 'title', cells, 'section_id');
  });

  it('sectionsCsv, realtime', async () => {
    const { domain, out } = h.outFolder('realtime-');
    const { ref } = await createExportJob(h, { domain, destinationUrl: `file://${out}/`, mode: 'realtime' });
    await seedSections(h.pool, ref.domain, [...cells].map(([id, v]) => ({ section_id: id, course_code: 'C', instructor: v })));
    await runExport(h, ref);
    checkColumn(only(out), 'instructor', cells, 'section_id');
  });

  it('usersCsv, batch', async () => {
    const { domain, out } = h.outFolder('users-');
    const { ref } = await createExportJob(h, { domain, taskType: 'usersCsv', destinationUrl: `file://${out}/` });
    for (const [id, v] of cells) {
      await h.pool.query(`insert into users (domain, user_id, email, first_name, role, active) values ($1, $2, $3, $4, 'student', true)`, [ref.domain, id, `${id}@example.edu`, v]);
    }
    await runExport(h, ref);
    checkColumn(only(out), 'first_name', cells, 'user_id');
  });

  it('trainingHistoryXml carries the values as they are', async () => {
    const { domain, out } = h.outFolder('xml-');
    const { ref } = await createExportJob(h, { domain, taskType: 'trainingHistoryXml', destinationUrl: `file://${out}/` });
    // Values XML holds as text (no control characters, which it writes as references or drops).
    const xmlCells = [...cells].filter(([, v]) => !/[\t\n\r\v\f]/.test(v) && !/[<>&"]/.test(v));
    for (const [id, v] of xmlCells) {
      await h.pool.query(
        `insert into training_history (domain, record_id, user_id, course_code, completed_on, status, title) values ($1, $2, 'u', 'C', '2026-01-01', 'passed', $3)`,
        [ref.domain, id, v],
      );
    }
    await runExport(h, ref);
    const xml = only(out);
    for (const [, v] of xmlCells) assert.ok(xml.includes(`<title>${v.replace(/'/g, '&apos;')}</title>`), JSON.stringify(v));
    assert.ok(!xml.includes("<title>'="), 'no mark in XML');
  });
});
