#!/usr/bin/env node
// Entry point for `bulkhead` and `kubectl bulkhead`; the compiled CLI lives in dist/ (npm ci
// builds it through the prepare script, make build too).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // A failure no command caught is an error: exit 2, as every command's own errors.
    process.stderr.write(`bulkhead: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
