import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';

/**
 * The folders are the architecture (README, Architecture): these checks keep the arrows
 * pointing one way, on the code as it is and through the lint rules that guard new code.
 */

const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(folder: string): string[] {
  return fs.readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(folder, f));
}

/** Every module a file imports at run time (type-only imports left out), as written. */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

/** The project file a relative import names (`x.ts` or `x/index.ts`), or undefined for a package. */
function resolveLocal(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec));
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find((f) => f.endsWith('.ts') && fs.existsSync(path.join(ROOT, f)));
}

/** Every package a file loads at run time, through the project files it imports, with the chain that reaches it. */
function packagesReached(start: string[]): Map<string, string> {
  const reached = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string, via: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const reExports = [...text.matchAll(/^export\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    for (const spec of [...runtimeImports(file), ...reExports]) {
      const local = resolveLocal(file, spec);
      if (local) visit(local, `${via} -> ${local}`);
      else if (!spec.startsWith('.') && !reached.has(spec)) reached.set(spec, via);
    }
  };
  for (const f of start) visit(f, f);
  return reached;
}

/** The top-level folder an import resolves to, or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec)).split(path.sep)[0]!;
}

describe('architecture: one direction of dependencies', () => {
  it('the I/O library imports no Temporal SDK and no worker, workflow or API code', () => {
    const bad = sourceFiles('io').flatMap((f) =>
      runtimeImports(f).filter((s) => s.startsWith('@temporalio/') || ['activities', 'workflows', 'api', 'worker', 'temporal'].includes(target(f, s))).map((s) => `${f}: ${s}`));
    assert.deepEqual(bad, []);
  });

  it('the API imports nothing from activities/ or worker/', () => {
    const bad = sourceFiles('api').flatMap((f) => runtimeImports(f).filter((s) => ['activities', 'worker'].includes(target(f, s))).map((s) => `${f}: ${s}`));
    assert.deepEqual(bad, []);
  });

  it('the API process loads no worker or activity SDK, directly or through the modules it imports', () => {
    const reached = packagesReached(sourceFiles('api'));
    const bad = [...reached].filter(([spec]) => /^@temporalio\/(worker|activity)(\/|$)/.test(spec)).map(([spec, via]) => `${via}: ${spec}`);
    assert.deepEqual(bad, []);
  });

  it("the API's read side (api/queries) does not depend on its command side (api/commands)", () => {
    const bad = sourceFiles('api/queries').flatMap((f) => {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      return [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!).filter((s) => s.includes('/commands/')).map((s) => `${f}: ${s}`);
    });
    assert.deepEqual(bad, []);
  });

  it('workflows, contracts and domain rules import only workflow-safe code at run time', () => {
    const safe = new Set(['workflows', 'contracts', 'domain', '@temporalio/workflow', '@temporalio/common']);
    const bad = ['workflows', 'contracts', 'domain'].flatMap(sourceFiles).flatMap((f) =>
      runtimeImports(f).filter((s) => !safe.has(target(f, s)) && !['croner'].includes(s)).map((s) => `${f}: ${s}`));
    assert.deepEqual(bad, []);
  });

  it('no module but infra/config.ts reads the environment (tests and benchmarks aside)', () => {
    const folders = fs.readdirSync(ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !['node_modules', 'data', 'test', 'bench'].includes(d.name))
      .map((d) => d.name);
    const bad = folders.flatMap(sourceFiles)
      .filter((f) => f !== path.join('infra', 'config.ts'))
      .filter((f) => /\bprocess\s*(\.\s*env\b|\[\s*['"`]env['"`]\s*\])|\{[^}]*\benv\b[^}]*\}\s*=\s*process\b/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    assert.deepEqual(bad, []);
  });

  describe('the lint rules refuse new code that breaks them', function () {
    this.timeout(60_000);
    const eslint = new ESLint({ cwd: ROOT });
    /** The restricted-import messages for `code` as if it were the file `as` (an existing one, for the type-aware rules). */
    const refusals = async (code: string, as: string) =>
      (await eslint.lintText(code, { filePath: path.join(ROOT, as) }))[0]!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);

    it('a workflow importing activity code, also as `../activities`', async () => {
      assert.equal((await refusals(`import { createActivities } from '../activities';\nexport const a = createActivities;\n`, 'workflows/index.ts')).length, 1);
      assert.equal((await refusals(`import { sampleFile } from '../io/import/sampling';\nexport const a = sampleFile;\n`, 'workflows/index.ts')).length, 1);
      assert.deepEqual(await refusals(`import type { createActivities } from '../activities';\nexport type A = typeof createActivities;\n`, 'workflows/index.ts'), []);
    });

    it('reading the environment outside infra/config.ts', async () => {
      const envReads = async (code: string, as: string) =>
        (await eslint.lintText(code, { filePath: path.join(ROOT, as) }))[0]!.messages.filter((m) => m.ruleId === 'no-restricted-properties').length;
      assert.equal(await envReads(`export const n = Number(process.env.IMPORT_CHUNK_ROWS);\n`, 'io/import/validate.ts'), 1);
      assert.equal(await envReads(`const { env } = process;\nexport const n = env.EXPORT_CA_FILE;\n`, 'activities/exportPhases.ts'), 1);
      assert.equal(await envReads(`export const n = process['env'].TRUST_PROXY;\n`, 'api/app.ts'), 1);
      assert.equal(await envReads(`export const n = process.env.LOG_LEVEL;\n`, 'infra/config.ts'), 0);
    });

    it('the I/O library importing Temporal, and the API importing activities', async () => {
      assert.equal((await refusals(`import { heartbeat } from '@temporalio/activity';\nexport const h = heartbeat;\n`, 'io/ticker.ts')).length, 1);
      assert.equal((await refusals(`import { createActivities } from '../../activities';\nexport const a = createActivities;\n`, 'api/routes/jobs.ts')).length, 1);
    });

    it('the API, and the shared modules it loads, importing the worker or activity SDK', async () => {
      const sdkRefusals = async (code: string, as: string) => (await refusals(code, as)).filter((m) => m.includes('worker or activity SDK') || m.includes('the worker and activity SDKs'));
      const worker = `import { NativeConnection } from '@temporalio/worker';\nexport const c = NativeConnection;\n`;
      assert.equal((await sdkRefusals(worker, 'api/main.ts')).length, 1);
      assert.equal((await sdkRefusals(`import { Context } from '@temporalio/activity';\nexport const c = Context;\n`, 'api/routes/jobs.ts')).length, 1);
      assert.equal((await sdkRefusals(worker, 'temporal/connection.ts')).length, 1);
      assert.deepEqual(await refusals(worker, 'worker/connection.ts'), []);
    });
  });
});
