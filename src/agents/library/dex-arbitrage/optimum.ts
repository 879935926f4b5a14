/**
 * The most profitable integer input of a cycle of swaps that starts and ends in the same token.
 *
 * Constant-product chains (every hop V2-style) get an exact answer:
 *
 *   One hop with fee γ turns x into ⌊a·x/(b + c·x)⌋ with a = γ·R_out, b = R_in, c = γ (γ as a
 *   reduced fraction, its denominator folded into b). Without the floor this is a Möbius map, and
 *   composing two gives another: (a₁,b₁,c₁) then (a₂,b₂,c₂) is (a₁a₂, b₁b₂, b₂c₁ + a₁c₂). So the
 *   real output of the whole chain is f(x) = a·x/(b + c·x), the real profit p(x) = f(x) − x is
 *   concave, profitable at all iff a > b, maximal at x* = (√(ab) − b)/c, where it is
 *   p* = (√a − √b)²/c.
 *
 *   The chain's integer output floors after every hop, and that integer profit is *not* unimodal
 *   once there are two hops or more: a hop's increments step between ⌊slope⌋ and ⌈slope⌉, and two
 *   such sequences combine into profit increments such as +1, −1, +1 near the optimum (the test
 *   suite finds such cases by brute force). So "walk to the neighbours until it stops improving"
 *   can stop at a local maximum. What the refinement uses instead, and why it is exact:
 *
 *   1. An upper bound. Floors only lose, so the integer profit π(x) ≤ p(x) ≤ p*, and as π is an
 *      integer, π(x) ≤ U = ⌊p*⌋ for every x (U computed exactly with an integer square root).
 *   2. A window. If the best integer profit found so far is `best`, any input that beats it has
 *      p(x) ≥ best + 1; since p is concave, those inputs form one interval around x*, and whether
 *      an integer lies in it is decided exactly (rational comparisons in bigint).
 *   3. A scan from the real optimum outwards, one side stopping when it leaves the window. It
 *      ends when best = U (nothing can beat the bound) or when both sides have left the window
 *      (everything that could beat `best` was tried). Either way the result is the exact integer
 *      optimum. Only a safety cap on the number of steps can end it otherwise; then the answer is
 *      flagged `exact: false` and `gap` = U − best bounds how far it can be from the optimum. That
 *      happens when two coarse tokens follow each other (WETH → USDC → USDT → WETH: losing one
 *      USDT unit to a floor costs ~1e8 wei, so the flat top holds millions of candidates); the
 *      gap is then a fraction of one unit of the coarse token.
 *
 *   The scan may run in the space of any intermediate amount rather than the input: for each
 *   intermediate amount y the best input is the least x that buys y (an exact inverse of each
 *   floor), and the profit is the rest of the chain's output for y minus that x; the same bound
 *   and window hold there (with p expressed in y, still concave). Scanning the coarsest token
 *   (e.g. 1e-6 USDC units in a WETH→USDC→WETH cycle) makes the window far narrower than in wei.
 *   In practice the scan ends after a handful of steps, usually by reaching U.
 *
 * Chains with a concentrated-liquidity hop use a numeric search (integer ternary search on a
 * bracket found by doubling, then a local scan): close to the optimum, flagged `exact: false`.
 */
import {
  FEE_PIPS_DENOMINATOR,
  feeFraction,
  isqrt,
  swapExactInput,
  type V3PoolState,
} from '../../../model/amm/index.ts';

/** A constant-product hop in the cycle's direction. */
export interface V2Hop {
  readonly kind: 'v2';
  readonly reserveIn: bigint;
  readonly reserveOut: bigint;
  /** Fee in pips (3000 = 0.30 %). */
  readonly fee: number;
}

/** A concentrated-liquidity hop: token0 → token1 when zeroForOne. */
export interface V3Hop {
  readonly kind: 'v3';
  readonly pool: V3PoolState;
  readonly zeroForOne: boolean;
}

export type Hop = V2Hop | V3Hop;

export interface Optimum {
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  readonly profit: bigint;
  /** True when `profit` is proven to be the greatest integer profit of the cycle. */
  readonly exact: boolean;
  /** Proven bound on how far below the optimum `profit` can be (0 when exact; undefined when unknown). */
  readonly gap: bigint | undefined;
  /** Amounts after each hop (the last one is amountOut). */
  readonly hopOutputs: readonly bigint[];
}

/** x ↦ a·x/(b + c·x). */
export interface Mobius {
  readonly a: bigint;
  readonly b: bigint;
  readonly c: bigint;
}

const IDENTITY: Mobius = { a: 1n, b: 1n, c: 0n };

export function hopMobius(hop: V2Hop): Mobius {
  const { gamma, denominator } = feeFraction(hop.fee);
  return { a: gamma * hop.reserveOut, b: denominator * hop.reserveIn, c: gamma };
}

/** `first`, then `second`. */
export function composeMobius(first: Mobius, second: Mobius): Mobius {
  return { a: first.a * second.a, b: first.b * second.b, c: second.b * first.c + first.a * second.c };
}

/** The hop's integer output, ⌊a·x/(b + c·x)⌋ (= the V2 router's getAmountOut). */
function forward(m: Mobius, x: bigint): bigint {
  return (m.a * x) / (m.b + m.c * x);
}

/** The least input whose output is ≥ y, or −1 when no input reaches y (y ≥ a/c). */
function inverse(m: Mobius, y: bigint): bigint {
  if (y <= 0n) return 0n;
  const room = m.a - m.c * y;
  if (room <= 0n) return -1n;
  const num = y * m.b;
  const q = num / room;
  return q * room === num ? q : q + 1n;
}

/** Default bound on scan steps; exceeded only in contrived cases (then `exact` is false). */
export const DEFAULT_SCAN_LIMIT = 4096;

/** ⌊p*⌋ = ⌊(√a − √b)²/c⌋ for a > b, c > 0: the greatest U with U·c ≤ a + b − 2√(ab). */
function profitBound(m: Mobius): bigint {
  const s = isqrt(m.a * m.b);
  // a + b − 2s ≥ a + b − 2√(ab), so this starts at or above the answer, by at most 2/c + 1.
  let u = (m.a + m.b - 2n * s) / m.c;
  const fits = (v: bigint) => {
    const rest = m.a + m.b - v * m.c;
    return rest >= 0n && rest * rest >= 4n * m.a * m.b;
  };
  while (u > 0n && !fits(u)) u--;
  return u;
}

/**
 * ⌊greatest real profit⌋ of a chain of constant-product hops: no integer input can make more,
 * and 0 means none makes any. Cheap (three compositions and an integer square root), so it is the
 * exact yes/no test an incremental update runs before any sizing.
 */
export function v2ChainProfitBound(hops: readonly V2Hop[]): bigint {
  let whole = IDENTITY;
  for (const h of hops) whole = composeMobius(whole, hopMobius(h));
  if (whole.a <= whole.b || whole.c === 0n) return 0n;
  return profitBound(whole);
}

/**
 * The exact optimum of a chain of constant-product hops, or null when no integer input makes a
 * profit of at least 1. `scanLimit` bounds the refinement (see the file comment).
 */
export function optimiseV2Chain(hops: readonly V2Hop[], scanLimit = DEFAULT_SCAN_LIMIT): Optimum | null {
  const maps = hops.map(hopMobius);
  const n = maps.length;
  let whole = IDENTITY;
  for (const m of maps) whole = composeMobius(whole, m);
  if (whole.a <= whole.b || whole.c === 0n) return null;
  const bound = profitBound(whole);
  if (bound < 1n) return null;

  // Real optimum x* (floored) and the intermediate space to scan in.
  const xStar = (isqrt(whole.a * whole.b) - whole.b) / whole.c;
  const prefixes: Mobius[] = [IDENTITY];
  for (let k = 1; k < n; k++) prefixes.push(composeMobius(prefixes[k - 1] as Mobius, maps[k - 1] as Mobius));
  const k = coarsestSpace(prefixes, xStar);
  const prefix = prefixes[k] as Mobius;
  let suffix = IDENTITY;
  for (let i = k; i < n; i++) suffix = composeMobius(suffix, maps[i] as Mobius);

  // Integer profit for an amount y after k hops: the rest of the chain's output minus the least input buying y.
  const profitAt = (y: bigint): bigint | undefined => {
    let x = y;
    for (let i = k - 1; i >= 0; i--) {
      x = inverse(maps[i] as Mobius, x);
      if (x < 0n) return undefined;
    }
    if (x <= 0n) return undefined;
    let out = y;
    for (let i = k; i < n; i++) out = forward(maps[i] as Mobius, out);
    return out - x;
  };
  // Real profit in y-space, u(y) = suffix(y) − prefix⁻¹(y) = num/den with den > 0 on the domain.
  const realProfit = (y: bigint): { num: bigint; den: bigint } | undefined => {
    const room = prefix.a - prefix.c * y;
    if (y < 1n || room <= 0n) return undefined;
    const sd = suffix.b + suffix.c * y;
    return { num: suffix.a * y * room - prefix.b * y * sd, den: sd * room };
  };
  // u(y) ≥ t  ⇔  q(y) = num − t·den ≥ 0 (den > 0 on the domain), and q is a quadratic in y:
  // q(y) = −(Sa·Pc + Pb·Sc − t·Sc·Pc)·y² + (Sa·Pa − Pb·Sb − t·(Sc·Pa − Sb·Pc))·y − t·Sb·Pa.
  // Its coefficients change only with t, so each window test is two multiplications (Horner).
  const yLimit = prefix.c === 0n ? -1n : (prefix.a - 1n) / prefix.c; // largest y with Pc·y < Pa
  const q2base = suffix.a * prefix.c + prefix.b * suffix.c;
  const q2t = suffix.c * prefix.c;
  const q1base = suffix.a * prefix.a - prefix.b * suffix.b;
  const q1t = suffix.c * prefix.a - suffix.b * prefix.c;
  const q0t = suffix.b * prefix.a;
  let windowT = -1n;
  let c2 = 0n;
  let c1 = 0n;
  let c0 = 0n;
  const atLeast = (y: bigint, t: bigint): boolean => {
    if (y < 1n || (yLimit >= 0n && y > yLimit)) return false;
    if (t !== windowT) {
      windowT = t;
      c2 = t * q2t - q2base;
      c1 = q1base - t * q1t;
      c0 = -t * q0t;
    }
    return (c2 * y + c1) * y + c0 >= 0n;
  };
  const better = (y1: bigint, y2: bigint): boolean => {
    // u(y1) > u(y2), with y1 possibly outside the domain (then false).
    const r1 = realProfit(y1);
    const r2 = realProfit(y2);
    if (r1 === undefined) return false;
    if (r2 === undefined) return true;
    return r1.num * r2.den > r2.num * r1.den;
  };

  // Integer argmax of the concave u: start at the image of x*, climb to the top.
  let centre = k === 0 ? xStar : forward(prefix, xStar);
  if (centre < 1n) centre = 1n;
  while (better(centre + 1n, centre)) centre++;
  while (centre > 1n && better(centre - 1n, centre)) centre--;

  let bestY = 0n;
  let best = 0n;
  const consider = (y: bigint) => {
    const p = profitAt(y);
    if (p !== undefined && p > best) {
      best = p;
      bestY = y;
    }
  };
  consider(centre);
  let lo = centre - 1n;
  let hi = centre + 1n;
  let loOpen = true;
  let hiOpen = true;
  let steps = 0;
  // Every y outside the window {u ≥ best + 1} has integer profit ≤ best, so scanning the window is enough.
  while ((loOpen || hiOpen) && best < bound && steps < scanLimit) {
    if (hiOpen) {
      if (atLeast(hi, best + 1n)) {
        consider(hi);
        hi++;
        steps++;
      } else hiOpen = false;
    }
    if (loOpen && best < bound) {
      if (lo >= 1n && atLeast(lo, best + 1n)) {
        consider(lo);
        lo--;
        steps++;
      } else loOpen = false;
    }
  }
  const exact = best === bound || (!loOpen && !hiOpen);
  // No profit found: proven when exact, else (capped scan) nothing worth reporting was found.
  if (best < 1n) return null;
  // Re-run the chain forward from the chosen input for the amounts to report.
  let amountIn = bestY;
  for (let i = k - 1; i >= 0; i--) amountIn = inverse(maps[i] as Mobius, amountIn);
  const hopOutputs: bigint[] = [];
  let amount = amountIn;
  for (const m of maps) {
    amount = forward(m, amount);
    hopOutputs.push(amount);
  }
  return {
    amountIn,
    amountOut: amount,
    profit: amount - amountIn,
    exact,
    gap: exact ? 0n : bound - best,
    hopOutputs,
  };
}

/** The space (0 = input, k = after k hops) whose units are coarsest around x*: the narrowest window. */
function coarsestSpace(prefixes: readonly Mobius[], xStar: bigint): number {
  let bestK = 0;
  let bestLogSlope = 0;
  const x = Number(xStar);
  for (let k = 1; k < prefixes.length; k++) {
    const m = prefixes[k] as Mobius;
    // slope = a·b/(b + c·x)²: compared in logs, as the numbers can pass 2^1024.
    const logSlope =
      lnBig(m.a) + lnBig(m.b) - 2 * lnPositive(Number(m.b) + Number(m.c) * x, m.b + m.c * xStar);
    if (Number.isFinite(logSlope) && logSlope < bestLogSlope) {
      bestLogSlope = logSlope;
      bestK = k;
    }
  }
  return bestK;
}

function lnBig(x: bigint): number {
  if (x <= 0n) return Number.NEGATIVE_INFINITY;
  const approx = Number(x);
  if (Number.isFinite(approx)) return Math.log(approx);
  const bits = x.toString(16).length * 4;
  const shift = bits - 900;
  return Math.log(Number(x >> BigInt(shift))) + shift * Math.LN2;
}

function lnPositive(approx: number, exact: bigint): number {
  return Number.isFinite(approx) ? Math.log(approx) : lnBig(exact);
}

/** One hop's output for an exact input, or undefined if the pool cannot take all of it. */
export function quoteHop(hop: Hop, amountIn: bigint): bigint | undefined {
  if (amountIn <= 0n) return 0n;
  if (hop.kind === 'v2') {
    if (hop.reserveIn <= 0n || hop.reserveOut <= 0n) return undefined;
    return forward(hopMobius(hop), amountIn);
  }
  const r = swapExactInput(hop.pool, hop.zeroForOne, amountIn);
  return r.complete ? r.amountOut : undefined;
}

function chainOutputs(hops: readonly Hop[], amountIn: bigint): bigint[] | undefined {
  const outs: bigint[] = [];
  let amount = amountIn;
  for (const hop of hops) {
    const next = quoteHop(hop, amount);
    if (next === undefined) return undefined;
    amount = next;
    outs.push(amount);
  }
  return outs;
}

/** Largest input considered by the numeric search (far beyond any pool's depth). */
const SEARCH_CEILING = 1n << 200n;
/** Below this many units out of some hop, rounding dominates and the profit curve says little. */
const ROUNDING_REGIME = 1n << 16n;

/**
 * A numeric optimum for any chain (used when a concentrated-liquidity hop is in it). Profit is
 * concave up to rounding, so: sample powers of two until the profit falls past its best sample
 * (ignoring the region where some hop's output is so small that rounding dominates) or a pool
 * cannot fill the input; the optimum then lies within a factor two of the best sample; integer
 * ternary search there, and a scan of the last few integers. Lands on or within a few wei of the
 * optimum; `exact` is false. Null when no input tried makes a profit of at least 1.
 */
export function optimiseChainNumerically(hops: readonly Hop[], localScan = 8): Optimum | null {
  const profit = (x: bigint): bigint | undefined => {
    const outs = chainOutputs(hops, x);
    return outs === undefined ? undefined : (outs[outs.length - 1] as bigint) - x;
  };
  const cmp = (x: bigint) => profit(x) ?? -SEARCH_CEILING;
  let bestSample = 1n;
  let bestSampleValue = cmp(1n);
  for (let x = 2n; x <= SEARCH_CEILING; x *= 2n) {
    const outs = chainOutputs(hops, x);
    if (outs === undefined) break;
    const value = (outs[outs.length - 1] as bigint) - x;
    if (value > bestSampleValue) {
      bestSample = x;
      bestSampleValue = value;
    } else if (outs.every((o) => o >= ROUNDING_REGIME)) break;
  }
  let lo = bestSample > 1n ? bestSample / 2n : 1n;
  let hi = bestSample * 2n;
  while (hi - lo > 2n) {
    const third = (hi - lo) / 3n;
    const m1 = lo + third;
    const m2 = hi - third;
    if (cmp(m1) < cmp(m2)) lo = m1 + 1n;
    else hi = m2;
  }
  let bestX = 0n;
  let best = 0n;
  const from = lo > BigInt(localScan) ? lo - BigInt(localScan) : 1n;
  for (let y = from; y <= hi + BigInt(localScan); y++) {
    const p = profit(y);
    if (p !== undefined && p > best) {
      best = p;
      bestX = y;
    }
  }
  if (best < 1n) return null;
  const outs = chainOutputs(hops, bestX) as bigint[];
  const amountOut = outs[outs.length - 1] as bigint;
  return {
    amountIn: bestX,
    amountOut,
    profit: amountOut - bestX,
    exact: false,
    gap: undefined,
    hopOutputs: outs,
  };
}

/** The optimum of any chain: exact for constant-product hops only, numeric otherwise. */
export function optimiseChain(hops: readonly Hop[], scanLimit = DEFAULT_SCAN_LIMIT): Optimum | null {
  if (hops.every((h) => h.kind === 'v2')) return optimiseV2Chain(hops as readonly V2Hop[], scanLimit);
  return optimiseChainNumerically(hops);
}

/** Upper bound on ln(output/input) of a hop at any size: its marginal rate at zero input. */
export function hopLogRate(hop: Hop): number {
  const lnGamma = Math.log(
    (FEE_PIPS_DENOMINATOR - (hop.kind === 'v2' ? hop.fee : hop.pool.fee)) / FEE_PIPS_DENOMINATOR,
  );
  if (hop.kind === 'v2') {
    if (hop.reserveIn <= 0n || hop.reserveOut <= 0n) return Number.NEGATIVE_INFINITY;
    return lnBig(hop.reserveOut) - lnBig(hop.reserveIn) + lnGamma;
  }
  // price token1/token0 = (√P / 2^96)²
  const lnPrice = 2 * (lnBig(hop.pool.sqrtPriceX96) - 96 * Math.LN2);
  return (hop.zeroForOne ? lnPrice : -lnPrice) + lnGamma;
}

export { lnBig };
