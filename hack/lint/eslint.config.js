// ESLint for Bulkhead (make lint): the gates of STYLE.md that the type checker does not enforce.
// It lives in its own package (hack/lint) because typescript-eslint's type-aware rules need the
// TypeScript 6 JavaScript API, while the project builds with TypeScript 7, which has none yet.
import js from '@eslint/js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default tseslint.config(
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: path.join(root, 'tsconfig.json'), tsconfigRootDir: root } },
    rules: {
      // A promise nobody awaits loses its error: every one is awaited, returned or voided on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The linter checks types with TypeScript 6 and the build with TypeScript 7; they disagree on
      // some inferences, so an assertion one calls unnecessary the other needs.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // pepr's limits: small functions, shallow nesting.
      complexity: ['error', 10],
      'max-depth': ['error', 3],
    },
  },
);
