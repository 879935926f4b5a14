/** Payload types of the catalogue events the risk engine reports, bound to their keys in src/bus/catalogue.ts. */
import type { BreakerTransition } from './breakers/circuit-breaker.ts';
import type { RuleErrorReport, TradingStateChange } from './types.ts';

declare module '../bus/catalogue.ts' {
  interface EventPayloads {
    riskBreaker: BreakerTransition;
    riskRuleError: RuleErrorReport;
    riskTradingState: TradingStateChange;
  }
}
