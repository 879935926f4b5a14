/** Payload types of the catalogue events shadow sessions and live exchange desks write, bound to their keys in src/bus/catalogue.ts. */
import type { PromotionThresholds } from '../kernel/shadow-config.ts';
import type { HaltVerification, UnknownOrdersRecord } from './exchange.ts';
import type { PromotionDecision, ShadowReport } from './shadow.ts';

declare module '../bus/catalogue.ts' {
  interface EventPayloads {
    shadowPromotion: PromotionDecision & {
      readonly thresholds: Omit<PromotionThresholds, 'minPnlVsLive'> & { minPnlVsLive: number | null };
    };
    shadowReport: ShadowReport;
    liveUnknownOrders: UnknownOrdersRecord;
    haltVerified: HaltVerification;
  }
}
