#!/usr/bin/env node
// Entry point for `concord` / `npx concord`: loads the TypeScript sources through tsx,
// so that a fresh clone runs with `npm install` alone (no build step).
import { register } from 'tsx/esm/api';

register();
// A closed pipe (`concord … | head`) ends the output, not the program with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
