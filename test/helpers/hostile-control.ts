/**
 * Everything a desk's control directory may contain besides a good request: what the emergency
 * stop must survive. Shared by the unit tests of the channel and the done-when test that halts a
 * running `concord run` through the real CLI.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface PlantedEntry {
  /** The entry's name in the control directory. */
  readonly name: string;
  readonly what: string;
}

/** A name the desk's pattern accepts, so the entry is judged by what it is, not by its name. */
export function requestLikeName(n: number, kind: 'halt' | 'resume' = 'halt'): string {
  return `${String(n).padStart(16, '0')}-${n.toString(16).padStart(16, 'a')}-${kind}.json`;
}

/** A request body that would be valid for `name` if the desk ever read it. */
export function validBody(name: string, requestedAt: number): string {
  return JSON.stringify({
    version: 1,
    kind: 'halt',
    id: name.slice(0, -'.json'.length),
    requestedAt,
    reason: 'planted: must never be acted on',
    flatten: false,
  });
}

const HUGE_BYTES = 2 * 1024 ** 3;

/**
 * Plants hostile entries in `control` (which must exist); `outside` is a scratch directory for
 * link targets. Returns what was planted. Never a request the desk may act on.
 */
export function plantHostileEntries(control: string, outside: string, now: number): PlantedEntry[] {
  const planted: PlantedEntry[] = [];
  const file = (name: string, body: string | Buffer, what: string) => {
    writeFileSync(join(control, name), body);
    planted.push({ name, what });
  };
  mkdirSync(outside, { recursive: true });

  // The names that broke the old sequence numbers, and stamps far beyond any number type.
  file('999999999999999-halt.json', '{"junk": true}', 'overflowing legacy sequence name');
  file(`${'9'.repeat(40)}-0123456789abcdef-halt.json`, 'junk', 'overflowing stamp, junk content');
  file(`${'9'.repeat(41)}-0123456789abcdef-halt.json`, 'junk', 'stamp longer than the pattern');
  file('please-halt.json', '{}', 'junk name');
  file('no-extension', 'x', 'junk name without extension');
  file('bad\nname ☃.json', 'x', 'name with a newline and non-ASCII');
  file(`${'x'.repeat(250)}.json`, 'x', 'longest possible name');
  file(requestLikeName(1), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), 'not UTF-8');
  file(requestLikeName(2), '{"version":1,"kind":"ha', 'half-written');
  file(requestLikeName(3), validBody(requestLikeName(30), now), 'id of another file');
  file(requestLikeName(4, 'resume'), validBody(requestLikeName(4, 'resume'), now), 'kind differs from name');

  // Huge: sparse, so the test costs no disk; reading it whole would take seconds and gigabytes.
  for (const name of [requestLikeName(5), 'huge.bin']) {
    const fd = openSync(join(control, name), 'w');
    ftruncateSync(fd, HUGE_BYTES);
    closeSync(fd);
    planted.push({ name, what: 'huge sparse file' });
  }

  // Symlinks: to a request that would be valid if followed, to a directory, dangling, to a FIFO.
  const target = requestLikeName(6);
  writeFileSync(join(outside, 'valid.json'), validBody(target, now));
  const link = (name: string, to: string, what: string) => {
    symlinkSync(to, join(control, name));
    planted.push({ name, what });
  };
  link(target, join(outside, 'valid.json'), 'symlink to a valid request');
  link(requestLikeName(7), outside, 'symlink to a directory');
  link(requestLikeName(8, 'resume'), join(outside, 'nothing-here'), 'dangling symlink');

  // FIFOs: opening one for reading without O_NONBLOCK waits for a writer forever.
  const fifo = (path: string) => {
    const made = spawnSync('mkfifo', [path]);
    return made.status === 0;
  };
  if (fifo(join(control, requestLikeName(9)))) planted.push({ name: requestLikeName(9), what: 'FIFO' });
  if (fifo(join(control, 'pipe'))) planted.push({ name: 'pipe', what: 'FIFO with a junk name' });
  if (fifo(join(outside, 'fifo'))) link(requestLikeName(10), join(outside, 'fifo'), 'symlink to a FIFO');

  // A directory under a request's name, with a file in it.
  mkdirSync(join(control, requestLikeName(11)));
  writeFileSync(join(control, requestLikeName(11), 'x'), 'x');
  planted.push({ name: requestLikeName(11), what: 'directory' });

  // Unreadable, and (when we may chown) owned by someone else, with otherwise valid content.
  file(requestLikeName(12), '{"version": 1}', 'mode 000');
  chmodSync(join(control, requestLikeName(12)), 0o000);
  if (process.getuid?.() === 0) {
    file(requestLikeName(13), validBody(requestLikeName(13), now), "another user's file");
    chownSync(join(control, requestLikeName(13)), 65534, 65534);
  }
  return planted;
}

/** Swaps the desk's done/ for a symlink and rejected/ for a file, as a careless script might. */
export function breakSubdirectories(control: string, outside: string): void {
  mkdirSync(join(outside, 'elsewhere'), { recursive: true });
  replaceEntry(join(control, 'done'), (path) => symlinkSync(join(outside, 'elsewhere'), path));
  replaceEntry(join(control, 'rejected'), (path) => writeFileSync(path, 'not a directory', { flag: 'wx' }));
}

/**
 * Removes `path` and puts something else there. A running desk repairs its control directory
 * between the two steps at any moment, so the swap is retried until it lands.
 */
function replaceEntry(path: string, make: (path: string) => void): void {
  for (let attempt = 0; ; attempt++) {
    try {
      // The desk may be moving a file into the directory while it is removed (ENOTEMPTY).
      rmSync(path, { recursive: true, force: true });
      make(path);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!['EEXIST', 'EISDIR', 'ENOTEMPTY'].includes(code ?? '') || attempt >= 100) throw err;
    }
  }
}

/** Many small junk files, so a poll has more to move than it does at once. */
export function plantFlood(control: string, count: number): void {
  for (let i = 0; i < count; i++) writeFileSync(join(control, `flood-${i}.tmp`), String(i));
}
