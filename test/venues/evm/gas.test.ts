import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveGasPrice, nextBaseFee } from '../../../src/venues/evm/index.ts';

const params = fc.record({
  denominator: fc.constantFrom(8, 16, 50, 250),
  elasticity: fc.constantFrom(2, 4, 6, 10),
});
const parent = fc
  .record({
    baseFeePerGas: fc.bigInt({ min: 0n, max: 10n ** 13n }),
    gasLimit: fc.bigInt({ min: 1_000_000n, max: 60_000_000n }),
    usedFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ baseFeePerGas, gasLimit, usedFraction }) => ({
    baseFeePerGas,
    gasLimit,
    gasUsed: BigInt(Math.floor(Number(gasLimit) * usedFraction)),
  }));

describe('EIP-1559 base fee', () => {
  it('known values: full block +12.5 %, empty block −12.5 %, half full unchanged (Ethereum)', () => {
    const m = { denominator: 8, elasticity: 2 };
    const base = 1_000_000_000n;
    expect(nextBaseFee({ baseFeePerGas: base, gasUsed: 30_000_000n, gasLimit: 30_000_000n }, m)).toBe(
      1_125_000_000n,
    );
    expect(nextBaseFee({ baseFeePerGas: base, gasUsed: 0n, gasLimit: 30_000_000n }, m)).toBe(875_000_000n);
    expect(nextBaseFee({ baseFeePerGas: base, gasUsed: 15_000_000n, gasLimit: 30_000_000n }, m)).toBe(base);
    // Above target the fee rises by at least one wei, even when the exact rise rounds to zero.
    expect(nextBaseFee({ baseFeePerGas: 7n, gasUsed: 15_000_001n, gasLimit: 30_000_000n }, m)).toBe(8n);
  });

  it('moves at most base·(limit − target)/target/denominator up (one wei at least), base/denominator down', () => {
    fc.assert(
      fc.property(parent, params, (p, m) => {
        const next = nextBaseFee(p, m);
        const target = p.gasLimit / BigInt(m.elasticity);
        // (limit − target)/target is elasticity − 1, a little more when the target was rounded down.
        const up = (p.baseFeePerGas * (p.gasLimit - target)) / target / BigInt(m.denominator) + 1n;
        const down = p.baseFeePerGas / BigInt(m.denominator);
        const step = next - p.baseFeePerGas;
        expect(step <= up && -step <= down).toBe(true);
        if (p.gasUsed > target) expect(next).toBeGreaterThan(p.baseFeePerGas);
        else if (p.gasUsed < target) expect(next <= p.baseFeePerGas).toBe(true);
        else expect(next).toBe(p.baseFeePerGas);
      }),
    );
  });

  it('is monotone in the gas used', () => {
    fc.assert(
      fc.property(parent, params, fc.bigInt({ min: 0n, max: 1_000_000n }), (p, m, more) => {
        const fuller = { ...p, gasUsed: p.gasUsed + more > p.gasLimit ? p.gasLimit : p.gasUsed + more };
        expect(nextBaseFee(fuller, m) >= nextBaseFee(p, m)).toBe(true);
      }),
    );
  });

  it('effective price = base + min(tip, maxFee − base)', () => {
    expect(effectiveGasPrice(100n, 300n, 50n)).toBe(150n);
    expect(effectiveGasPrice(100n, 120n, 50n)).toBe(120n);
    expect(effectiveGasPrice(100n, 90n, 50n)).toBe(100n);
  });
});
