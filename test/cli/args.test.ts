/**
 * Flag values the code cannot honour are refused with a coded error naming the flag: speeds so
 * slow that one tick outlasts a timer, durations beyond ten years or beyond a double, integers
 * beyond 2^53, numbers written as hex or padded, `--set` keys that would change an object's prototype.
 */
import { describe, expect, it } from 'vitest';
import { type FlagSpecs, MAX_DURATION_MS, parseArgs } from '../../src/cli/args.ts';
import { agentsFromFlags } from '../../src/cli/backtest.ts';
import { isConcordError } from '../../src/core/index.ts';

const SPECS: FlagSpecs = {
  speed: { type: 'speed', description: '' },
  duration: { type: 'duration', description: '' },
  seed: { type: 'int', description: '' },
  capital: { type: 'number', description: '' },
};

function refused(argv: string[]): string {
  try {
    parseArgs(argv, SPECS);
  } catch (err) {
    if (isConcordError(err, 'CONCORD_ERR_CONFIG_INVALID')) return String(err.details.path);
    throw err;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

describe('flag values', () => {
  it('accepts what the code honours', () => {
    const { flags } = parseArgs(
      ['--speed', '0.5x', '--duration', '1h30m', '--seed', '-3', '--capital', '1e5'],
      SPECS,
    );
    expect(flags).toEqual({ speed: 0.5, duration: 5_400_000, seed: -3, capital: 100_000 });
    expect(parseArgs(['--speed', 'max'], SPECS).flags.speed).toBe(Number.POSITIVE_INFINITY);
    expect(parseArgs(['--duration', '3650d'], SPECS).flags.duration).toBe(MAX_DURATION_MS);
  });

  const bad: Array<[string, string]> = [
    ['--speed', '0.0001'],
    ['--speed', '1e-300'],
    ['--speed', 'Infinity'],
    ['--speed', '0x10'],
    ['--speed', ' 5'],
    ['--duration', '3651d'],
    ['--duration', `${'9'.repeat(400)}s`],
    ['--duration', '0s'],
    ['--seed', '99999999999999999999'],
    ['--capital', '0x10'],
    ['--capital', 'Infinity'],
    ['--capital', ' 1'],
    ['--capital', '1e999'],
  ];
  for (const [flag, value] of bad) {
    it(`refuses ${flag} ${JSON.stringify(value)}`, () => {
      expect(refused([flag, value])).toBe(flag);
    });
  }

  it('refuses --set keys that are object plumbing', () => {
    for (const set of ['__proto__=1', 'constructor=2', 'prototype=3', 'sma.__proto__=1']) {
      let error: unknown;
      try {
        agentsFromFlags(['sma-cross'], [set.replace('sma.', 'sma-cross.')]);
      } catch (err) {
        error = err;
      }
      expect(isConcordError(error, 'CONCORD_ERR_CONFIG_INVALID'), set).toBe(true);
    }
    expect(agentsFromFlags(['sma-cross'], ['fast=3'])[0]?.config).toEqual({ fast: 3 });
  });
});
