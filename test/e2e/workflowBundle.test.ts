import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workflowSourceHash } from '../../worker/createWorker';

/** The worker's prebuilt workflow bundle is named by its sources: a change to any of them is another bundle. */
describe('workflow bundle cache key', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobflow-bundle-key-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'index.ts'), "export * from './a';\n");
    fs.writeFileSync(path.join(dir, 'a.ts'), "import { b } from './sub/b';\nimport type { C } from './c';\nexport const a = (c: C) => b + c;\n");
    fs.writeFileSync(path.join(dir, 'sub', 'b.ts'), 'export const b = 1;\n');
    fs.writeFileSync(path.join(dir, 'c.ts'), 'export type C = number;\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('changes when a file the workflows import changes, directly or not', () => {
    const entry = path.join(dir, 'index.ts');
    const before = workflowSourceHash(entry);
    assert.equal(workflowSourceHash(entry), before);
    fs.writeFileSync(path.join(dir, 'sub', 'b.ts'), 'export const b = 2;\n');
    const changed = workflowSourceHash(entry);
    assert.notEqual(changed, before);
    fs.appendFileSync(entry, '// a comment\n');
    assert.notEqual(workflowSourceHash(entry), changed);
  });

  it('ignores files only named by `import type` (erased from the bundle)', () => {
    const entry = path.join(dir, 'index.ts');
    const before = workflowSourceHash(entry);
    fs.writeFileSync(path.join(dir, 'c.ts'), 'export type C = string;\n');
    assert.equal(workflowSourceHash(entry), before);
  });

  it('covers the real workflows', () => {
    assert.match(workflowSourceHash(), /^[0-9a-f]{24}$/);
  });
});
