import assert from 'node:assert/strict';
import { parseWithSchema } from '../../taskTypes/taskType';
import { registeredTaskTypes } from './registeredTaskTypes';

/** Every fast row parser gives exactly what its zod schema gives: same rows, same first error. */
describe('import: fast row parsers agree with the zod schemas', () => {
  const samples = ['', ' ', 'x', ' A1 ', 'active', 'CANCELED', 'closed', '0', '42', ' 7 ', '-3', '1.5', '2147483647', '2147483648', '99999999999', 'MWF', '09:00', 'ü'];
  for (const taskType of registeredTaskTypes().filter((t) => t.parseRow)) {
    it(taskType.name, () => {
      // A deterministic spread of combinations: each field cycles through the samples at its own pace.
      for (let i = 0; i < 5000; i++) {
        const values = Object.fromEntries(taskType.fields.map((f, k) => [f.name, samples[(i * (k + 3) + k * k + Math.floor(i / (k + 1))) % samples.length]!]));
        if (i % 3 === 0) values[taskType.key] = `K${i}`;
        if (i % 4 === 0) for (const f of taskType.fields) if (f.sqlType === 'integer') values[f.name] = String(i % 300);
        if (i % 2 === 0) for (const f of taskType.fields) if (f.sqlType !== 'integer' && f.name !== 'status') values[f.name] ||= 'v';
        assert.deepEqual(taskType.parseRow!(values), parseWithSchema(taskType, values), JSON.stringify(values));
      }
    });
  }

  it('usersCsv, with valid and invalid emails, roles and flags', () => {
    const users = registeredTaskTypes().find((t) => t.name === 'usersCsv')!;
    const pick = (list: string[], i: number) => list[i % list.length]!;
    const emails = ['a@b.co', ' A.B@Example.ORG ', '', ' ', 'x', 'a@b', 'a b@c.d', 'ü@ß.de'];
    const roles = ['', ' ', 'student', ' Instructor ', 'STAFF', 'admin', 'teacher', 'ü'];
    const flags = ['', ' ', 'true', 'FALSE', ' yes', 'No', 'y', 'n', '1', '0', 'maybe', '2'];
    const texts = ['', ' ', 'x', ' Ada ', 'ü'];
    for (let i = 0; i < 5000; i++) {
      const values = {
        user_id: pick(['', ' ', 'u1', ' U 2 '], i >> 3), email: pick(emails, i), first_name: pick(texts, i >> 1), last_name: pick(texts, i >> 2),
        role: pick(roles, i >> 4), department: pick(texts, i >> 5), active: pick(flags, i >> 6),
      };
      assert.deepEqual(users.parseRow!(values), parseWithSchema(users, values), JSON.stringify(values));
    }
  });
});
