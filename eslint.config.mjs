// Lint rules that protect what the type checker cannot: promises nobody awaits, and
// workflow code that would break determinism by reaching for Node or I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
/** The SDKs of the worker process, which the API process must not load. */
const workerSdk = ['@temporalio/worker', '@temporalio/worker/*', '@temporalio/activity', '@temporalio/activity/*'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // One settings path: infra/config.ts reads the environment (loadConfig) and the entry points
    // inject what each part needs. Tests and benchmarks set up their own environments.
    files: ['**/*.ts'],
    ignores: ['infra/config.ts', 'test/**', 'bench/**'],
    rules: {
      'no-restricted-properties': ['error', {
        object: 'process', property: 'env',
        message: 'Settings are read once, in infra/config.ts (loadConfig), and injected; environmentFor() gives a child process its environment.',
      }],
    },
  },
  {
    // The console: ES modules the browser runs as they are (no build), with the browser's globals.
    files: ['console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries([
        'window', 'document', 'location', 'fetch', 'URL', 'URLSearchParams', 'AbortController', 'TextDecoderStream',
        'setTimeout', 'clearTimeout', 'addEventListener', 'removeEventListener', 'confirm',
      ].map((g) => [g, 'readonly'])),
    },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_' }] },
  },
  {
    // Workflow code, the contracts it shares and the pure domain rules it imports run in
    // Temporal's deterministic sandbox: no Node built-ins, no clients, no ORM, no I/O.
    files: ['workflows/**/*.ts', 'contracts/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins,
        patterns: [
          { group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@mikro-orm/*', 'pg', 'express'], message: 'Not workflow-safe.' },
          { group: layer('activities', 'io', 'db', 'api', 'infra', 'taskTypes', 'temporal', 'worker'), allowTypeImports: true, message: 'Workflows, contracts and domain rules may import these as types only.' },
        ],
      }],
    },
  },
  {
    // The I/O library knows nothing of Temporal: progress and cancellation come in as callbacks.
    files: ['io/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@temporalio/*'], message: 'The I/O library imports no Temporal SDK.' },
          { group: layer('activities', 'workflows', 'api', 'worker', 'temporal'), message: 'The I/O library depends on domain, db, taskTypes and infra only.' },
        ],
      }],
    },
  },
  {
    // The API talks to workflows through the contracts and to data through db and io; it never loads activities.
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: workerSdk, message: 'The API process does not load the worker or activity SDK (worker/connection.ts holds connectWorker).' },
          { group: layer('activities', 'worker'), message: 'The API does not import activity or worker code.' },
          { group: layer('workflows'), allowTypeImports: true, message: 'The API refers to workflows by type only (contracts/ holds their messages).' },
        ],
      }],
    },
  },
  {
    // The shared modules the API process loads (through api/): client-side Temporal, configuration
    // and infrastructure, the ORM, task types. The worker SDK stays in worker/ and activities/.
    files: ['temporal/**/*.ts', 'infra/**/*.ts', 'db/**/*.ts', 'taskTypes/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: workerSdk, message: 'The API loads this module: the worker and activity SDKs belong in worker/ and activities/ (worker/connection.ts holds connectWorker).' }],
      }],
    },
  },
);

/** Import patterns for a top-level folder, from any depth: `../activities`, `../../activities/x`. */
function layer(...folders) {
  return folders.flatMap((f) => [`**/${f}`, `**/${f}/**`]);
}
