import assert from 'node:assert/strict';
import { KeyFilter } from '../../io/import/keyFilter';

/** The key filter may flag a new key (rarely), but never misses a repeated one. */
describe('import: key filter for duplicate candidates', () => {
  it('flags every repeated key, and few new ones', () => {
    const rows = 200_000;
    const filter = new KeyFilter(rows * 100);
    let falsePositives = 0;
    for (let i = 0; i < rows; i++) if (filter.add(`S${String(i).padStart(8, '0')}`)) falsePositives++;
    for (let i = 0; i < rows; i += 7) assert.equal(filter.add(`S${String(i).padStart(8, '0')}`), true, `key ${i} seen twice`);
    assert.ok(falsePositives < rows / 100, `${falsePositives} new keys flagged`);
    assert.equal(filter.add(''), false);
    assert.equal(filter.add(''), true);
    assert.equal(filter.add('é, ünïcode'), false);
    assert.equal(filter.add('é, ünïcode'), true);
  });
});
