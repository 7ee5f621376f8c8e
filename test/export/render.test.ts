import assert from 'node:assert/strict';
import { xmlText } from '../../io/export/render';

/** XML rendering (CSV is the CSV writer's: test/export/csvWriter.test.ts). */
describe('export rendering', () => {
  it('escapes for XML', () => {
    assert.equal(xmlText(`<a href="x">Tom & 'Jerry'</a>\u0001`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;');
  });
});
