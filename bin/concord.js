#!/usr/bin/env node
// Entry point for `concord` / `npx concord`: loads the TypeScript sources through tsx,
// so that a fresh clone runs with `npm install` alone (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
