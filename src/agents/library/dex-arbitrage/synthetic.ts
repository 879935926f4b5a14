/**
 * A deterministic synthetic pool snapshot (the file format of snapshot.ts) for tests, the bench
 * and trying `concord arb scan`: hub tokens (WETH, USDC, USDT, DAI, WBTC) paired with each other
 * on every DEX, a long tail of tokens each paired with one to three hubs on one to three DEXes,
 * and a few tail-to-tail pools. Every token has a true price; each pool's price is that price
 * with a small random dislocation, so some cycles clear the fees and most do not.
 */
import { Random } from '../../../core/index.ts';

export interface SyntheticToken {
  readonly address: string;
  readonly symbol: string;
  readonly decimals: number;
}

export interface SyntheticV2Pool {
  readonly address: string;
  readonly dex: string;
  readonly token0: SyntheticToken;
  readonly token1: SyntheticToken;
  readonly reserve0: string;
  readonly reserve1: string;
  readonly fee: number;
}

export interface SyntheticOptions {
  readonly seed?: number;
  /** Number of pools (default 3000). */
  readonly pools?: number;
  /** Standard deviation of each pool's log-price dislocation (default 0.0015). */
  readonly dislocation?: number;
}

const DEXES: ReadonlyArray<readonly [string, number]> = [
  ['uniswap-v2', 3000],
  ['sushiswap', 3000],
  ['pancakeswap-v2', 2500],
  ['shibaswap', 3000],
  ['fraxswap', 1000],
  ['camelot', 3000],
];

/** Hub symbols, decimals and price in WETH. */
const HUBS: ReadonlyArray<readonly [string, number, number]> = [
  ['WETH', 18, 1],
  ['USDC', 6, 1 / 3000],
  ['USDT', 6, 1 / 3000],
  ['DAI', 18, 1 / 3000],
  ['WBTC', 8, 20],
];

function hexAddress(rng: Random): string {
  let s = '0x';
  for (let i = 0; i < 5; i++) s += rng.nextUint32().toString(16).padStart(8, '0');
  return s;
}

/** Amount of a token worth `valueWeth`, in its smallest unit (at least 1). */
function units(valueWeth: number, priceWeth: number, decimals: number): string {
  const amount = (valueWeth / priceWeth) * 10 ** decimals;
  return BigInt(Math.max(1, Math.floor(amount))).toString();
}

export function generatePoolSnapshot(options: SyntheticOptions = {}): SyntheticV2Pool[] {
  const rng = new Random(options.seed ?? 1);
  const target = options.pools ?? 3000;
  const sigma = options.dislocation ?? 0.0015;
  const tokens: Array<{ token: SyntheticToken; price: number }> = HUBS.map(([symbol, decimals, price]) => ({
    token: { address: hexAddress(rng), symbol, decimals },
    price,
  }));
  const pools: SyntheticV2Pool[] = [];
  const seen = new Set<string>();
  const addPool = (a: number, b: number, dexIndex: number, valueWeth: number) => {
    const key = `${Math.min(a, b)}:${Math.max(a, b)}:${dexIndex}`;
    if (seen.has(key) || pools.length >= target) return;
    seen.add(key);
    const [dex, fee] = DEXES[dexIndex] as readonly [string, number];
    const ta = tokens[a] as { token: SyntheticToken; price: number };
    const tb = tokens[b] as { token: SyntheticToken; price: number };
    const [t0, t1] = ta.token.address < tb.token.address ? [ta, tb] : [tb, ta];
    // Half the value on each side; the dislocation moves token0's price in this pool.
    const shift = Math.exp(rng.normal(0, sigma));
    pools.push({
      address: hexAddress(rng),
      dex,
      token0: t0.token,
      token1: t1.token,
      reserve0: units(valueWeth / 2, t0.price * shift, t0.token.decimals),
      reserve1: units(valueWeth / 2, t1.price, t1.token.decimals),
      fee,
    });
  };
  // Hubs with each other, deep, on most DEXes.
  for (let a = 0; a < HUBS.length; a++)
    for (let b = a + 1; b < HUBS.length; b++)
      for (let d = 0; d < DEXES.length; d++) if (rng.bool(0.8)) addPool(a, b, d, 10 ** rng.uniform(3, 5));
  // The long tail, until the target count is reached.
  while (pools.length < target) {
    const index = tokens.length;
    const decimals = [18, 18, 18, 6, 9, 8][rng.int(6)] as number;
    tokens.push({
      token: { address: hexAddress(rng), symbol: `TK${index - HUBS.length}`, decimals },
      price: 10 ** rng.uniform(-7, 1),
    });
    const hubs = new Set<number>([rng.bool(0.8) ? 0 : 1 + rng.int(HUBS.length - 1)]);
    const extra = rng.int(3);
    for (let i = 0; i < extra; i++) hubs.add(rng.int(HUBS.length));
    for (const hub of hubs) {
      const dexCount = 1 + rng.int(3);
      for (let i = 0; i < dexCount; i++) addPool(index, hub, rng.int(DEXES.length), 10 ** rng.uniform(0, 3));
    }
    if (index > HUBS.length + 10 && rng.bool(0.1)) {
      const other = HUBS.length + rng.int(index - HUBS.length);
      addPool(index, other, rng.int(DEXES.length), 10 ** rng.uniform(0, 2));
    }
  }
  return pools;
}
