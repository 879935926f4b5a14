/** `concord keys create`: prints a key once, stores only its hash 0600, and the API accepts it with its role. */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readKeysFile, verifyKey } from '../../src/api/index.ts';
import { main } from '../../src/cli/main.ts';
import { lastJsonLine, runCli, tempDir } from '../helpers/cli.ts';
import { captureOut } from '../helpers/out.ts';

describe('concord keys create', () => {
  it('prints the key once; the 0600 file holds its salted hash and verifies it with the role', async () => {
    const file = join(tempDir('concord-keys-'), 'keys.json');
    const out = captureOut();
    expect(await main(['keys', 'create', '--role', 'operator', '--name', 'alice', '--file', file], out)).toBe(
      0,
    );
    expect(out.stderr).toEqual([]);
    const key = out.stdout.find((l) => l.startsWith('concord_')) ?? '';
    expect(key).toMatch(/^concord_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(key.slice(21));
    const stored = verifyKey(readKeysFile(file).keys, key);
    expect(stored).toMatchObject({ name: 'alice', role: 'operator' });
  });

  it('--json: one JSON line with the key; a second key is added beside the first', async () => {
    const file = join(tempDir('concord-keys-'), 'keys.json');
    const a = captureOut();
    expect(await main(['keys', 'create', '--role', 'viewer', '--file', file, '--json'], a)).toBe(0);
    const b = captureOut();
    expect(await main(['keys', 'create', '--role', 'admin', '--file', file, '--json'], b)).toBe(0);
    const first = JSON.parse(a.stdout.at(-1) ?? '{}') as { key: string; role: string; name: string };
    const second = JSON.parse(b.stdout.at(-1) ?? '{}') as { key: string; role: string };
    expect(first).toMatchObject({ ok: true, role: 'viewer', name: 'viewer', file });
    const keys = readKeysFile(file).keys;
    expect(keys.map((k) => k.role)).toEqual(['viewer', 'admin']);
    expect(verifyKey(keys, first.key)?.role).toBe('viewer');
    expect(verifyKey(keys, second.key)?.role).toBe('admin');
  });

  it('bad usage exits 2: no role, an unknown role, a stray argument, a bad name', async () => {
    const file = join(tempDir('concord-keys-'), 'keys.json');
    for (const argv of [
      ['keys', 'create', '--file', file],
      ['keys', 'create', '--role', 'root', '--file', file],
      ['keys', 'create', 'extra', '--role', 'viewer', '--file', file],
      ['keys', 'create', '--role', 'viewer', '--name', '\u0000x', '--file', file],
      ['keys', 'create', '--role', 'viewer', '--bogus'],
    ]) {
      const out = captureOut();
      expect(await main(argv, out), argv.join(' ')).toBe(2);
      expect(out.stdout).toEqual([]);
    }
  });

  it('a keys file others can read: exit 3 with its code, the file unchanged', async () => {
    const file = join(tempDir('concord-keys-'), 'keys.json');
    expect(await main(['keys', 'create', '--role', 'viewer', '--file', file], captureOut())).toBe(0);
    chmodSync(file, 0o644);
    const before = readFileSync(file, 'utf8');
    const out = captureOut();
    expect(await main(['keys', 'create', '--role', 'viewer', '--file', file, '--json'], out)).toBe(3);
    expect(out.stderr.join('\n')).toContain('CONCORD_ERR_API_KEYS_FILE_MODE');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('as a real process', () => {
    const file = join(tempDir('concord-keys-'), 'keys.json');
    const r = runCli(['keys', 'create', '--role', 'operator', '--file', file, '--json']);
    expect(r.code).toBe(0);
    const json = lastJsonLine(r.stdout) as { key: string };
    expect(verifyKey(readKeysFile(file).keys, json.key)?.role).toBe('operator');
  });
});
