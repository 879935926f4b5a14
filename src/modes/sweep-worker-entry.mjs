// Entry of a sweep worker thread from the TypeScript sources: a worker does not inherit the
// parent's TypeScript loader, so it is registered here first (as src/agents/worker-entry.mjs does).
import { register } from 'tsx/esm/api';

register();
await import(new URL('./sweep-worker.ts', import.meta.url).href);
