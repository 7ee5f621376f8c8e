// Lint rules that protect what the type checker cannot: promises nobody awaits, and
// workflow code that would break determinism by reaching for Node or I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

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
    // Workflow code and the pure domain rules it imports run in Temporal's deterministic
    // sandbox: no Node built-ins, no clients, no ORM, no activity implementations.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins,
        patterns: [
          { group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@mikro-orm/*', 'pg', 'express'], message: 'Not workflow-safe.' },
          { group: ['../activities/*', '../db/*', '../api/*', '../infra/*', '../taskTypes/*'], allowTypeImports: true, message: 'Workflows may import these as types only.' },
        ],
      }],
    },
  },
);
