/**
 * The arithmetic of a two-venue cross: buy on one venue's asks, sell on the
 * other's bids, level by level, with both venues' taker fees. Pure and
 * allocation-free; the agent and the tests share it.
 */

export type Levels = ReadonlyArray<readonly [number, number]>;

export interface CrossWalk {
  /** Base quantity bought on the ask side and sold on the bid side. */
  readonly quantity: number;
  /** Σ price × size paid on the ask side, before fees. */
  readonly buyNotional: number;
  /** Σ price × size received on the bid side, before fees. */
  readonly sellNotional: number;
  /** Worst (highest) ask and worst (lowest) bid touched; NaN when nothing was taken. */
  readonly worstBuyPrice: number;
  readonly worstSellPrice: number;
  /** Levels touched on each side. */
  readonly buyLevels: number;
  readonly sellLevels: number;
  /** (sellNotional × (1 − sellFee) − buyNotional × (1 + buyFee)) / buyNotional; NaN when nothing was taken. */
  readonly netEdge: number;
}

/**
 * Net edge of one marginal unit bought at `ask` and sold at `bid`, as a fraction
 * of what it costs before fees.
 */
export function marginalEdge(ask: number, bid: number, buyFee: number, sellFee: number): number {
  return (bid * (1 - sellFee) - ask * (1 + buyFee)) / ask;
}

/** Net edge after fees of a whole cross, as a fraction of the buy notional. */
export function netEdgeOf(
  buyNotional: number,
  sellNotional: number,
  buyFee: number,
  sellFee: number,
): number {
  return buyNotional > 0
    ? (sellNotional * (1 - sellFee) - buyNotional * (1 + buyFee)) / buyNotional
    : Number.NaN;
}

/**
 * Walks both books best first and takes size while the marginal unit's net edge
 * is positive and at least `minMarginalEdge`, up to `maxQuantity`. Because every
 * unit taken clears `minMarginalEdge`, so does the average (the plan's net edge).
 */
export function walkCross(
  asks: Levels,
  bids: Levels,
  buyFee: number,
  sellFee: number,
  maxQuantity: number,
  minMarginalEdge: number,
): CrossWalk {
  let i = 0;
  let j = 0;
  let askLeft = asks.length > 0 ? (asks[0] as readonly [number, number])[1] : 0;
  let bidLeft = bids.length > 0 ? (bids[0] as readonly [number, number])[1] : 0;
  let quantity = 0;
  let buyNotional = 0;
  let sellNotional = 0;
  let worstBuyPrice = Number.NaN;
  let worstSellPrice = Number.NaN;
  while (i < asks.length && j < bids.length && quantity < maxQuantity) {
    const ask = (asks[i] as readonly [number, number])[0];
    const bid = (bids[j] as readonly [number, number])[0];
    const edge = marginalEdge(ask, bid, buyFee, sellFee);
    if (!(edge > 0) || edge < minMarginalEdge) break;
    const take = Math.min(askLeft, bidLeft, maxQuantity - quantity);
    if (take > 0) {
      quantity += take;
      buyNotional += take * ask;
      sellNotional += take * bid;
      worstBuyPrice = ask;
      worstSellPrice = bid;
      askLeft -= take;
      bidLeft -= take;
    }
    if (askLeft <= 0) {
      i++;
      askLeft = i < asks.length ? (asks[i] as readonly [number, number])[1] : 0;
    }
    if (bidLeft <= 0) {
      j++;
      bidLeft = j < bids.length ? (bids[j] as readonly [number, number])[1] : 0;
    }
  }
  return {
    quantity,
    buyNotional,
    sellNotional,
    worstBuyPrice,
    worstSellPrice,
    buyLevels: Number.isNaN(worstBuyPrice) ? 0 : i + (askLeft < levelSize(asks, i) ? 1 : 0),
    sellLevels: Number.isNaN(worstSellPrice) ? 0 : j + (bidLeft < levelSize(bids, j) ? 1 : 0),
    netEdge: netEdgeOf(buyNotional, sellNotional, buyFee, sellFee),
  };
}

function levelSize(levels: Levels, index: number): number {
  return index < levels.length ? (levels[index] as readonly [number, number])[1] : 0;
}
