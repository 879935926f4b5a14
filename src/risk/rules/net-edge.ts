/**
 * Arbitrage plans must expect at least `minNetEdgeBps` after fees. Only orders carrying `plan`
 * metadata are judged; the edge is a fraction of notional (0.001 = 10 bp).
 */
import type { RiskRule } from '../types.ts';
import { deny, figure } from './shared.ts';

export const NET_EDGE_RULE = 'net-edge';

export const netEdgeRule: RiskRule = {
  name: NET_EDGE_RULE,
  check(order, state) {
    const min = state.limits.minNetEdge;
    const plan = order.plan;
    if (min === null || plan === undefined) return undefined;
    const edge = plan.expectedNetEdge;
    if (edge >= min) return undefined;
    return deny('NET_EDGE_BELOW_MIN', NET_EDGE_RULE, {
      limit: state.limits.minNetEdgeBps!,
      value: Number.isFinite(edge) ? figure(edge * 10_000) : String(edge),
      unit: 'bps',
      instrument: order.instrumentId,
    });
  },
};
