import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.ts';

describe('concord CLI: bad flags and config start nothing', () => {
  const cases: Array<{ name: string; args: (dir: string) => string[]; field: RegExp; config?: unknown }> = [
    { name: 'unknown flag', args: (d) => ['run', '--journal', d, '--sped', 'max'], field: /--sped/ },
    { name: 'bad speed', args: (d) => ['run', '--journal', d, '--speed', 'fast'], field: /--speed.*"max"/ },
    {
      name: 'bad duration',
      args: (d) => ['run', '--journal', d, '--duration', 'ten'],
      field: /--duration.*30s/,
    },
    {
      name: 'non-integer seed',
      args: (d) => ['run', '--journal', d, '--seed', '1.5'],
      field: /--seed.*integer/,
    },
    {
      name: 'negative flush interval in the config',
      args: (d) => ['run', '--journal', d, '--config', join(d, '..', 'cfg.json')],
      config: { journal: { flushEveryMs: -5 } },
      field: /journal\.flushEveryMs/,
    },
    {
      name: 'unknown config field',
      args: (d) => ['run', '--journal', d, '--config', join(d, '..', 'cfg.json')],
      config: { venuez: {} },
      field: /venuez/,
    },
    {
      name: 'unknown agent type',
      args: (d) => ['run', '--journal', d, '--config', join(d, '..', 'cfg.json')],
      config: { agents: [{ id: 'x', type: 'no-such-agent' }] },
      field: /no-such-agent/,
    },
    {
      name: 'bad agent config value',
      args: (d) => ['run', '--journal', d, '--config', join(d, '..', 'cfg.json')],
      config: { agents: [{ id: 'm', type: 'momentum', config: { lookback: 'long' } }] },
      field: /agents\.0\.config\.lookback/,
    },
    {
      name: 'bad risk limit',
      args: (d) => ['run', '--journal', d, '--config', join(d, '..', 'cfg.json')],
      config: { risk: { priceBandBps: -1 } },
      field: /risk\.priceBandBps/,
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.name} with a coded error naming the field, exit 2, no journal`, () => {
      const base = tempDir();
      const dir = join(base, 'journal');
      if (c.config !== undefined) writeFileSync(join(base, 'cfg.json'), JSON.stringify(c.config));
      const r = runCli(c.args(dir));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/CONCORD_ERR_CONFIG_INVALID/);
      expect(r.stderr).toMatch(c.field);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it('reports a missing config file', () => {
    const r = runCli(['run', '--config', '/nonexistent/desk.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONCORD_ERR_CONFIG_NOT_FOUND/);
  });

  it('refuses live mode unless enabled twice', () => {
    const base = tempDir();
    writeFileSync(join(base, 'cfg.json'), JSON.stringify({ mode: 'live', live: { enabled: true } }));
    const r = runCli(['run', '--journal', join(base, 'j'), '--config', join(base, 'cfg.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONCORD_ERR_LIVE_NOT_ENABLED/);
  });

  it('prints help with every flag and exits 0', () => {
    const r = runCli(['run', '--help']);
    expect(r.code).toBe(0);
    for (const f of ['--seed', '--duration', '--speed', '--journal', '--config', '--json'])
      expect(r.stdout).toContain(f);
    expect(runCli(['--help']).stdout).toMatch(/journal verify/);
    expect(runCli(['bogus']).code).toBe(2);
  });
});
