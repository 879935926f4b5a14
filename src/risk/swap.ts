/**
 * The slippage bound of an on-chain swap (invariant 7: protect our own trades). A swap must
 * carry a minimum output, and the gap between the expected output and that minimum (the most a
 * sandwich or a moving pool can take) must stay within `maxSlippageBps`. Amounts are exact
 * (token units as Decimals); the check is exact.
 */
import { Decimal } from '../core/index.ts';
import { deny } from './rules/shared.ts';
import type { RiskVerdict } from './types.ts';

export const SWAP_SLIPPAGE_RULE = 'swap-slippage';

export interface SwapCheck {
  readonly amountIn: Decimal;
  /** Output the quote promises at the current pool state. */
  readonly expectedOut: Decimal;
  /** Output below which the swap reverts on chain. */
  readonly minAmountOut: Decimal;
  /** Largest tolerated expected-to-minimum gap, in bp of the expected output. */
  readonly maxSlippageBps: number;
}

const PASS: RiskVerdict = Object.freeze({ ok: true as const });
const BPS = 10_000n;

export function checkSwap(swap: SwapCheck): RiskVerdict {
  const { amountIn, expectedOut, minAmountOut, maxSlippageBps } = swap;
  if (!amountIn.isPositive() || !expectedOut.isPositive() || !minAmountOut.isPositive()) {
    return {
      ok: false,
      denial: deny(
        'SWAP_UNBOUNDED',
        SWAP_SLIPPAGE_RULE,
        {
          amount_in: amountIn.toString(),
          expected_out: expectedOut.toString(),
          min_amount_out: minAmountOut.toString(),
        },
        'a swap needs positive amounts and a positive minimum output',
      ),
    };
  }
  // gap / expected ≤ max / 10⁴  ⇔  gap · 10⁴ ≤ max · expected, in integer units (max to 1e-6 bp).
  const gap = expectedOut.sub(minAmountOut);
  const maxMicroBps = BigInt(Math.floor(maxSlippageBps * 1e6));
  if (gap.units * BPS * 1_000_000n <= maxMicroBps * expectedOut.units) return PASS;
  const slippageBps = Number((gap.units * BPS * 100n) / expectedOut.units) / 100;
  return {
    ok: false,
    denial: deny('SWAP_SLIPPAGE_EXCEEDS_MAX', SWAP_SLIPPAGE_RULE, {
      limit: maxSlippageBps,
      value: slippageBps,
      unit: 'bps',
      expected_out: expectedOut.toString(),
      min_amount_out: minAmountOut.toString(),
    }),
  };
}

/** The minimum output for an expected output and a slippage bound, rounded down to `decimals`. */
export function minAmountOutFor(expectedOut: Decimal, maxSlippageBps: number, decimals = 18): Decimal {
  const keepMicroBps = BigInt(Math.round((10_000 - maxSlippageBps) * 1e6));
  const units = (expectedOut.units * keepMicroBps) / (BPS * 1_000_000n);
  const step = 10n ** BigInt(18 - decimals);
  return Decimal.fromUnits((units / step) * step);
}
