import assert from 'node:assert/strict';
import { sampleFile } from '../../io/import/sampling';
import { getTaskType } from '../../taskTypes/registry';
import { fixture, fixtureRead } from './helpers';

/** sampleFile on the hostile fixtures: what it proposes, what it previews, what it says is wrong. */
describe('import: sampling proposes encoding, delimiter and mapping', () => {
  const sections = getTaskType('sectionsCsv');

  it('UTF-8 with a BOM, commas, exact headers: no problems', async () => {
    const s = await sampleFile(fixture('bom.csv'), sections, fixtureRead);
    assert.equal(s.proposedRules.encoding, 'utf-8');
    assert.equal(s.proposedRules.delimiter, ',');
    assert.deepEqual(s.proposedRules.mapping, {});
    assert.deepEqual(s.headers, ['section_id', 'course_code', 'title', 'capacity']);
    assert.deepEqual(s.problems, []);
    assert.equal(s.preview.length, 2);
    assert.equal(s.preview[0]!.values!.title, 'Café Science');
  });

  it('Latin-1 with semicolons', async () => {
    const s = await sampleFile(fixture('latin1-semicolon.csv'), sections, fixtureRead);
    assert.equal(s.proposedRules.encoding, 'latin1');
    assert.equal(s.proposedRules.delimiter, ';');
    assert.equal(s.preview[0]!.values!.title, 'Café crème');
    assert.deepEqual(s.problems, []);
  });

  it('Windows-1252 when bytes 0x80-0x9F appear', async () => {
    const s = await sampleFile(fixture('windows1252.csv'), sections, fixtureRead);
    assert.equal(s.proposedRules.encoding, 'windows-1252');
    assert.equal(s.preview[0]!.values!.title, '“Quoted” – dash €');
  });

  for (const [file, enc] of [['utf16le-tab.csv', 'utf-16le'], ['utf16be-tab.csv', 'utf-16be']] as const) {
    it(`${enc} with tabs`, async () => {
      const s = await sampleFile(fixture(file), sections, fixtureRead);
      assert.equal(s.proposedRules.encoding, enc);
      assert.equal(s.proposedRules.delimiter, '\t');
      assert.deepEqual(s.preview.map((p) => p.values!.section_id), ['U1', 'U2']);
      assert.deepEqual(s.problems, []);
    });
  }

  it('renamed headers are mapped by alias, ignoring case, spaces and underscores', async () => {
    const s = await sampleFile(fixture('renamed-headers.csv'), sections, fixtureRead);
    assert.equal(s.proposedRules.delimiter, ';');
    assert.deepEqual(s.proposedRules.mapping, { 'Section ID': 'section_id', Course: 'course_code', 'Course Title': 'title', Seats: 'capacity' });
    assert.deepEqual(s.problems, []);
    assert.deepEqual(s.preview[1], { line: 3, values: { ...s.preview[1]!.values, section_id: 'R2', capacity: 41 } });
  });

  it('an administrator\'s own mapping wins over the proposal', async () => {
    const s = await sampleFile(fixture('renamed-headers.csv'), sections, fixtureRead, { mapping: { Course: 'title', 'Course Title': 'course_code' } });
    assert.equal(s.proposedRules.mapping.Course, 'title');
    assert.equal(s.proposedRules.mapping['Course Title'], 'course_code');
    assert.equal(s.preview[0]!.values!.title, 'C1');
  });

  it('a missing key column is a problem that names it and the headers found', async () => {
    const s = await sampleFile(fixture('missing-key-column.csv'), sections, fixtureRead);
    assert.ok(s.problems.some((p) => p === 'No column of missing-key-column.csv maps to section_id, which is required. Map one of its columns ("course_code", "title") to section_id.'), s.problems.join('\n'));
  });

  it('unmapped columns and rows that would be rejected are reported', async () => {
    const s = await sampleFile(fixture('extra-header-column.csv'), sections, fixtureRead);
    assert.ok(s.problems.some((p) => p.startsWith('Column "notes" is not mapped to any field of sectionsCsv and will be ignored')), s.problems.join('\n'));
    const bad = await sampleFile(fixture('bad-values.csv'), sections, fixtureRead);
    assert.deepEqual(bad.preview[1], { line: 3, rejected: { column: 'course_code', reason: 'course_code: course_code is required' } });
    assert.ok(bad.problems.includes('Line 3 would be rejected: course_code: course_code is required.'), bad.problems.join('\n'));
  });

  it('binary, empty and header-only samples get a sentence each', async () => {
    assert.match((await sampleFile(fixture('binary.bin'), sections, fixtureRead)).problems[0]!, /does not look like text/);
    assert.match((await sampleFile(fixture('empty.csv'), sections, fixtureRead)).problems[0]!, /is empty/);
    assert.deepEqual((await sampleFile(fixture('header-only.csv'), sections, fixtureRead)).problems, [
      'The sample header-only.csv has a header and no rows; send a sample with a few rows so they can be checked.',
    ]);
  });

  it('usersCsv aliases (E-mail, Surname, Dept) and the XML task type', async () => {
    const users = await sampleFile(fixture('users.csv'), getTaskType('usersCsv'), fixtureRead);
    assert.deepEqual(users.proposedRules.mapping, { 'User ID': 'user_id', 'E-mail': 'email', 'First Name': 'first_name', Surname: 'last_name', Dept: 'department', Enabled: 'active' });
    const xml = await sampleFile(fixture('training.xml'), getTaskType('trainingHistoryXml'), fixtureRead);
    assert.equal(xml.proposedRules.encoding, 'utf-8');
    assert.equal(xml.preview.length, 4);
    assert.equal(xml.preview[0]!.values!.record_id, 'T1');
    assert.ok(xml.problems.includes('Line 11 would be rejected: completed_on: must be a date written YYYY-MM-DD. If the element has another name, map it in the rules\' mapping.'), xml.problems.join('\n'));
  });
});
