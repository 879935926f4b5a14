/**
 * `risk-assessor` (role `risk`): advises the consolidation step with
 * `risk-advice` intents. It vetoes all new risk when gross exposure / equity is
 * above `maxGrossLeverage`, vetoes the triggering instrument when its position is
 * more than `maxConcentration` of equity, and otherwise caps order size by
 * volatility: a `volMultiplier`-sigma move over one sample may cost at most
 * `riskBudgetQuote`, so maxQuantity = riskBudgetQuote / (price × vol × volMultiplier).
 */
import { z } from 'zod';
import type { Decision, InstrumentId, RiskAdviceIntent } from '../../../model/index.ts';
import type { Agent, AgentContext, AgentDefinition, MarketView } from '../../contract.ts';
import { orderableInstrument, toLotQuantity } from '../momentum/sizing.ts';
import { fmt, realizedVolatility } from '../regime/stats.ts';

export const riskAssessorConfigSchema = z
  .strictObject({
    /** Gross exposure / equity above which all new risk is vetoed. */
    maxGrossLeverage: z.number().positive().default(3),
    /** |position × price| / equity above which the instrument is vetoed. */
    maxConcentration: z.number().positive().default(0.5),
    /** Quote currency a volMultiplier-sigma one-sample move may cost. */
    riskBudgetQuote: z.number().positive().default(1000),
    /** Returns used for realized volatility. */
    volWindow: z.number().int().min(2).max(100_000).default(60),
    volMultiplier: z.number().positive().default(2),
    /** Floor on the per-sample volatility, so a frozen feed never means unlimited size. */
    minVolatility: z.number().positive().default(1e-5),
    instruments: z.array(z.string().min(1)).min(1).optional(),
  })
  .prefault({});

export type RiskAssessorConfig = z.output<typeof riskAssessorConfigSchema>;

/** Largest quantity (float, base units) whose k-sigma move costs `riskBudgetQuote`. */
export function volatilityCappedQuantity(
  riskBudgetQuote: number,
  price: number,
  volatility: number,
  k: number,
): number {
  return riskBudgetQuote / (price * volatility * k);
}

export class RiskAssessorAgent implements Agent {
  readonly type = 'risk-assessor';
  readonly role = 'risk';
  readonly triggers = ['price-move', 'bar', 'timer'] as const;
  readonly instruments?: readonly InstrumentId[];

  constructor(
    readonly id: string,
    private readonly config: RiskAssessorConfig,
  ) {
    if (config.instruments !== undefined) this.instruments = config.instruments;
  }

  process(context: AgentContext): Decision {
    const c = this.config;
    const id = context.trigger.instrumentId;
    const portfolio = context.portfolio;
    const equity = portfolio.equity();
    const gross = portfolio.grossExposure();
    const intents: RiskAdviceIntent[] = [];
    const notes: string[] = [];

    const leverage = equity > 0 ? gross / equity : Number.POSITIVE_INFINITY;
    const leverageText = `gross ${fmt(gross)} / equity ${fmt(equity)} = ${fmt(leverage)}x (max ${c.maxGrossLeverage}x)`;
    if (!(leverage <= c.maxGrossLeverage)) {
      const reason = equity > 0 ? `leverage ${leverageText}` : `equity ${fmt(equity)} is not positive`;
      intents.push({ kind: 'risk-advice', instrumentId: '*', veto: true, reason });
    }
    notes.push(leverageText);

    const price = priceOf(context.market, id);
    if (price === undefined) {
      notes.push(`${id}: no price, no instrument advice`);
      return decide(intents, notes);
    }
    const position = portfolio.position(id);
    const exposure = Math.abs(position) * price;
    const concentration = equity > 0 ? exposure / equity : exposure > 0 ? Number.POSITIVE_INFINITY : 0;
    const concentrationText = `${id} exposure ${fmt(exposure)} = ${fmt(concentration * 100)}% of equity (max ${fmt(c.maxConcentration * 100)}%)`;
    notes.push(concentrationText);
    if (concentration > c.maxConcentration) {
      intents.push({
        kind: 'risk-advice',
        instrumentId: id,
        veto: true,
        reason: `concentration: ${concentrationText}`,
      });
    }

    const mids = context.market.midHistory(id, c.volWindow + 1);
    if (mids.length < c.volWindow + 1) {
      notes.push(`${id}: ${mids.length} mids, need ${c.volWindow + 1} for volatility; no size cap`);
      return decide(intents, notes);
    }
    const measuredVol = realizedVolatility(mids, c.volWindow);
    // NaN (no valid returns) falls back to the floor as well.
    const vol = Number.isFinite(measuredVol) ? Math.max(measuredVol, c.minVolatility) : c.minVolatility;
    const cap = volatilityCappedQuantity(c.riskBudgetQuote, price, vol, c.volMultiplier);
    const capText = `cap ${fmt(c.riskBudgetQuote)} / (${fmt(price)} × ${fmt(vol * 1e4)} bp × ${c.volMultiplier}) = ${fmt(cap, 6)}`;
    notes.push(capText);
    const instrument = orderableInstrument(context.market, id);
    if (instrument !== undefined) {
      const maxQuantity = toLotQuantity(cap, instrument.lotSize);
      if (maxQuantity === undefined) {
        intents.push({
          kind: 'risk-advice',
          instrumentId: id,
          veto: true,
          reason: `volatility: ${capText}, below one lot ${instrument.lotSize}`,
        });
      } else {
        intents.push({
          kind: 'risk-advice',
          instrumentId: id,
          veto: false,
          maxQuantity,
          reason: `volatility: ${capText} → ${maxQuantity}`,
        });
      }
    }
    return decide(intents, notes);
  }
}

function priceOf(market: MarketView, id: InstrumentId): number | undefined {
  const last = market.lastPrice(id);
  if (last !== undefined && last > 0) return last;
  const mid = market.book(id)?.mid();
  return mid !== undefined && mid > 0 ? mid : undefined;
}

function decide(intents: RiskAdviceIntent[], notes: readonly string[]): Decision {
  const vetoes = intents.filter((i) => i.veto).length;
  return {
    intents,
    // A veto is a hard opinion; a size cap alone is advice.
    confidence: vetoes > 0 ? 1 : intents.length > 0 ? 0.8 : 0,
    expectedReturn: 0,
    reasoning: `risk: ${vetoes > 0 ? `${vetoes} veto(es)` : intents.length > 0 ? 'size cap' : 'no advice'}; ${notes.join('; ')}`,
  };
}

export const riskAssessorAgent: AgentDefinition<RiskAssessorConfig> = {
  type: 'risk-assessor',
  description:
    'Risk advice: vetoes new risk above a gross leverage or a per-instrument concentration, caps size by realized volatility.',
  role: 'risk',
  configSchema: riskAssessorConfigSchema,
  create: (id, config) => new RiskAssessorAgent(id, config),
};
