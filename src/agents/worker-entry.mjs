// Entry of an isolated agent's worker thread. A worker does not inherit the
// parent's TypeScript loader (neither under `node --import tsx` nor vitest), and
// `execArgv: ['--import', 'tsx']` does not reach the worker's entry module on
// Node 20, so the loader is registered here, resolved from this package.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./worker-main.ts', import.meta.url).href);
