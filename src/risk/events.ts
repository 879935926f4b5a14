/** Payload types of the catalogue events the risk engine reports, bound to their keys in src/bus/catalogue.ts. */
import type { BreakerTransition } from './breakers/circuit-breaker.ts';
import type { RiskConfig } from './config.ts';
import type { RuleErrorReport, TradingStateChange } from './types.ts';

declare module '../bus/catalogue.ts' {
  interface EventPayloads {
    /** `rules`: the chain's rule names in order; `limits`: the resolved limits they read. */
    riskChain: { readonly rules: readonly string[]; readonly limits: RiskConfig };
    riskBreaker: BreakerTransition;
    riskRuleError: RuleErrorReport;
    riskTradingState: TradingStateChange;
  }
}
