import { describe, expect, it } from 'vitest';
import { ConcordError } from '../../src/core/index.ts';
import { parseRiskConfig, RiskLimits } from '../../src/risk/index.ts';

function configError(raw: unknown): ConcordError {
  try {
    parseRiskConfig(raw);
  } catch (err) {
    if (err instanceof ConcordError) return err;
    throw err;
  }
  throw new Error('expected parseRiskConfig to throw');
}

describe('parseRiskConfig', () => {
  it('fills defaults for an empty section', () => {
    const c = parseRiskConfig({});
    expect(c.killSwitch).toBe(false);
    expect(c.maxOrderNotional.default.toString()).toBe('10000');
    expect(c.maxOrderNotional.perInstrument).toEqual({});
    expect(c.maxPosition.default).toBeNull();
    expect(c.priceBandBps).toBe(500);
    expect(parseRiskConfig(undefined)).toEqual(c);
  });

  it('accepts numbers and decimal strings, per instrument and default', () => {
    const c = parseRiskConfig({
      killSwitch: true,
      maxOrderNotional: { default: 5000, perInstrument: { 'sim-a:BTC-USDT': '25000.5' } },
      maxPosition: { default: '2', perInstrument: { 'sim-a:BTC-USDT': 0.5 } },
      priceBandBps: 50,
    });
    const limits = new RiskLimits(c);
    expect(limits.killSwitch).toBe(true);
    expect(limits.maxOrderNotional('sim-a:BTC-USDT').exact.toString()).toBe('25000.5');
    expect(limits.maxOrderNotional('other:X').float).toBe(5000);
    expect(limits.maxPosition('sim-a:BTC-USDT')!.exact.toString()).toBe('0.5');
    expect(limits.maxPosition('other:X')!.float).toBe(2);
    expect(limits.priceBand).toBe(0.005);
    expect(new RiskLimits(parseRiskConfig({})).maxPosition('x:Y')).toBeUndefined();
  });

  it('names the field path, what was expected and what was received', () => {
    const e = configError({ maxOrderNotional: { perInstrument: { 'sim-a:BTC-USDT': -3 } } });
    expect(e.code).toBe('CONCORD_ERR_CONFIG_INVALID');
    expect(e.details.path).toBe('risk.maxOrderNotional.perInstrument.sim-a:BTC-USDT');
    expect(String(e.details.expected)).toMatch(/positive decimal/);
    expect(e.details.received).toBe('-3');
    expect(e.message).toMatch(/risk\.maxOrderNotional\.perInstrument/);
  });

  it('rejects wrong types, out-of-range bands, malformed amounts and unknown keys', () => {
    expect(configError({ priceBandBps: '50' }).details.path).toBe('risk.priceBandBps');
    expect(configError({ priceBandBps: 0 }).details.path).toBe('risk.priceBandBps');
    expect(configError({ killSwitch: 'yes' }).details.path).toBe('risk.killSwitch');
    expect(configError({ maxPosition: { default: 'lots' } }).details.path).toBe('risk.maxPosition.default');
    expect(configError({ maxPosition: { default: Number.NaN } }).details.path).toBe(
      'risk.maxPosition.default',
    );
    const unknown = configError({ maxNotional: 5 });
    expect(unknown.details.path).toBe('risk');
    expect(unknown.message).toMatch(/maxNotional/);
  });
});
