#!/usr/bin/env node
// Entry point for `bulkhead` and `kubectl bulkhead`; the compiled CLI lives in dist/.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bulkhead: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
