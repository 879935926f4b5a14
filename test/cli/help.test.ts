/**
 * Every command and subcommand answers --help and -h with its help on stdout and exit 0;
 * a command group without a subcommand is a usage error (exit 2). In process through main(),
 * plus one real child process for the end-to-end path.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { runCli } from '../helpers/cli.ts';
import { captureOut } from '../helpers/out.ts';

const COMMANDS = [
  [],
  ['run'],
  ['backtest'],
  ['record'],
  ['replay'],
  ['halt'],
  ['resume'],
  ['journal'],
  ['journal', 'verify'],
  ['safety'],
  ['safety', 'report'],
  ['explain'],
  ['venues'],
  ['keys'],
  ['keys', 'create'],
];

describe('concord --help', () => {
  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`concord ${[...command, flag].join(' ')} prints help and exits 0`, async () => {
        const out = captureOut();
        const code = await main([...command, flag], out);
        expect(out.stderr).toEqual([]);
        expect(code).toBe(0);
        expect(out.stdout.join('\n')).toMatch(/Usage: concord/);
        if (command.length > 0) expect(out.stdout.join('\n')).toContain(`concord ${command.join(' ')}`);
      });
    }
  }

  for (const group of ['journal', 'safety', 'keys']) {
    it(`concord ${group} without a subcommand is a usage error listing the subcommands`, async () => {
      const out = captureOut();
      expect(await main([group], out)).toBe(2);
      expect(out.stderr.join('\n')).toMatch(/missing subcommand[\s\S]*Subcommands:/);
      const bad = captureOut();
      expect(await main([group, 'nope'], bad)).toBe(2);
      expect(bad.stderr.join('\n')).toMatch(/unknown subcommand "nope"/);
    });
  }

  it('as a real process: concord journal --help and concord safety --help exit 0', () => {
    for (const group of ['journal', 'safety']) {
      const r = runCli([group, '--help']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Subcommands:/);
    }
  });
});
