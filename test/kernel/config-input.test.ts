/**
 * What a config file may hold: a BOM is accepted, anything but one JSON object is refused,
 * reserved keys (`__proto__`, `constructor`, `prototype`) are refused like other unknown keys,
 * a component's error names its field once, and values the code cannot honour are refused.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConcordError } from '../../src/core/index.ts';
import { loadDeskConfig, parseDeskConfig } from '../../src/kernel/config.ts';
import { resolveSafety } from '../../src/kernel/resolve-safety.ts';
import { validateDeskConfig } from '../../src/kernel/validate.ts';
import { tempDir } from '../helpers/cli.ts';

function errorOf(fn: () => unknown): { code: string; path: unknown; message: string } {
  try {
    fn();
  } catch (err) {
    if (!isConcordError(err)) throw err;
    return { code: err.code, path: err.details.path, message: err.message };
  }
  throw new Error('expected a ConcordError, nothing was thrown');
}

function configFile(text: string | Buffer): string {
  const path = join(tempDir('concord-config-'), 'desk.json');
  writeFileSync(path, text);
  return path;
}

describe('config files', () => {
  it('accepts a UTF-8 byte order mark', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"seed": 11}')]);
    expect(loadDeskConfig(configFile(bom)).seed).toBe(11);
  });

  for (const text of ['null', '5', '"sandbox"', '[]', '[{"seed": 1}]', 'true']) {
    it(`refuses a file holding ${text} (not an object) instead of running with defaults`, () => {
      const e = errorOf(() => loadDeskConfig(configFile(text)));
      expect(e.code).toBe('CONCORD_ERR_CONFIG_INVALID');
      expect(e.message).toMatch(/must hold one JSON object/);
    });
  }

  it('refuses null given directly too (only an absent config means defaults)', () => {
    expect(errorOf(() => parseDeskConfig(null)).code).toBe('CONCORD_ERR_CONFIG_INVALID');
    expect(parseDeskConfig(undefined).seed).toBe(7);
  });

  const reserved: Array<[string, string]> = [
    ['{"__proto__": {"seed": 3}}', '__proto__'],
    ['{"constructor": 1}', 'constructor'],
    ['{"risk": {"__proto__": {"maxOrderNotional": {"default": "1"}}}}', 'risk.__proto__'],
    ['{"orchestrator": {"__proto__": {}}}', 'orchestrator.__proto__'],
    ['{"shadow": {"prototype": {}}}', 'shadow.prototype'],
    ['{"venues": {"balances": {"__proto__": 5}}}', 'venues.balances.__proto__'],
    [
      '{"agents": [{"id": "m", "type": "momentum", "config": {"__proto__": {"lookback": 3}}}]}',
      'agents.0.config.__proto__',
    ],
    ['{"safety": {"riskManagement": {"constructor": {}}}}', 'safety.riskManagement.constructor'],
  ];
  for (const [text, path] of reserved) {
    it(`refuses the reserved key at ${path} as unknown, naming it`, () => {
      const e = errorOf(() => loadDeskConfig(configFile(text)));
      expect(e.code).toBe('CONCORD_ERR_CONFIG_INVALID');
      expect(e.path).toBe(path);
      expect(e.message).toMatch(/Unrecognized key/);
    });
  }

  it('refuses nesting deeper than any section needs, without exhausting the stack', () => {
    const deep = `{"shadow": {"x": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    const e = errorOf(() => loadDeskConfig(configFile(deep)));
    expect(e.code).toBe('CONCORD_ERR_CONFIG_INVALID');
    expect(e.message).toMatch(/levels of nesting/);
  });

  it('refuses a directory and an oversized file with coded errors', () => {
    const dir = tempDir('concord-config-');
    mkdirSync(join(dir, 'cfg.json'));
    expect(errorOf(() => loadDeskConfig(join(dir, 'cfg.json'))).code).toBe('CONCORD_ERR_CONFIG_NOT_FOUND');
    const big = configFile(`{"shadow": {"x": "${'a'.repeat(5 * 1024 * 1024)}"}}`);
    expect(errorOf(() => loadDeskConfig(big)).code).toBe('CONCORD_ERR_CONFIG_INVALID');
  });

  it('refuses start times outside 1970..9999', () => {
    for (const startTime of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', 1e17, -1]) {
      const e = errorOf(() => parseDeskConfig({ startTime }));
      expect(e.code).toBe('CONCORD_ERR_CONFIG_INVALID');
      expect(e.path).toBe('startTime');
    }
    expect(parseDeskConfig({ startTime: '9999-12-31T00:00:00Z' }).startTime).toBe('9999-12-31T00:00:00Z');
  });
});

describe('component errors name their field once', () => {
  it('risk: risk.maxOrderNotional, not risk.risk.maxOrderNotional', () => {
    const config = parseDeskConfig({ risk: { maxOrderNotional: 'abc' } });
    for (const e of [errorOf(() => validateDeskConfig(config)), errorOf(() => resolveSafety(config))]) {
      expect(e.code).toBe('CONCORD_ERR_CONFIG_INVALID');
      expect(e.path).toBe('risk.maxOrderNotional');
      expect(e.message).not.toMatch(/risk\.risk/);
    }
  });

  it('safety and orchestrator sections too', () => {
    const safety = parseDeskConfig({ safety: { riskManagement: { maxDailyLoss: -1 } } });
    expect(errorOf(() => validateDeskConfig(safety)).path).toBe('safety.riskManagement.maxDailyLoss');
    const orchestrator = parseDeskConfig({ orchestrator: { deadlineMs: -1 } });
    expect(errorOf(() => validateDeskConfig(orchestrator)).path).toBe('orchestrator.deadlineMs');
  });
});
