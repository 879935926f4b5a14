#!/usr/bin/env node
// Entry point for `concord` / `npx concord` / `npm start`.
//
// Which code runs (docs: README "Build and development"):
//   - dist/, the JavaScript that `npm install` (the `prepare` script) and `npm run build` compile
//     from src/, when it exists and no file under src/ is newer than its last build;
//   - otherwise the TypeScript sources through tsx, with a one-line notice on stderr
//     (a start costs ≈ 1 s more);
//   - CONCORD_DEV=1 always runs the sources through tsx, silently (the tests do this, so they
//     always test the current sources).
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BUILD_STAMP = `${root}dist/.built`;

/** mtime (ms) of the last build, or undefined when there is none. */
function builtAt() {
  try {
    return statSync(BUILD_STAMP).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Whether a file or folder under `dir` changed after `since`: one stat per entry (≈ 200 under
 * src/), a few milliseconds; a hand walk, as `readdirSync(…, { recursive: true })` costs ≈ 3× more.
 * Folder mtimes catch deleted and renamed files.
 */
function changedSince(dir, since) {
  if (statSync(dir).mtimeMs > since) return true;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() ? changedSince(path, since) : statSync(path).mtimeMs > since) return true;
  }
  return false;
}

function sourcesChangedSince(since) {
  try {
    return changedSince(`${root}src`, since);
  } catch {
    return false; // an installed package without its sources: the build is all there is
  }
}

function useBuild() {
  if (process.env.CONCORD_DEV === '1') return false;
  const built = builtAt();
  const reason =
    built === undefined
      ? 'dist/ is not built'
      : sourcesChangedSince(built)
        ? 'src/ changed since the last build'
        : undefined;
  if (reason === undefined) return true;
  process.stderr.write(
    `concord: ${reason}; running the TypeScript sources through tsx (slower start; npm run build compiles)\n`,
  );
  return false;
}

// A closed pipe (`concord … | head`) ends the output, not the program with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

let main;
if (useBuild()) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
