/** One line naming an accepted intent, for the operator's event lines. */

import type { OrderIntent, PlanIntent } from '../model/index.ts';

export function describeIntent(intent: { kind: string }): string {
  if (intent.kind === 'order') {
    const o = intent as unknown as OrderIntent;
    return `${o.side} ${o.quantity} ${o.instrumentId}`;
  }
  if (intent.kind === 'plan') {
    const p = intent as unknown as PlanIntent;
    return `plan ${p.label} (${p.legs.map((l) => `${l.side} ${l.quantity} ${l.instrumentId}`).join(', ')})`;
  }
  return intent.kind;
}
