/**
 * The pre-trade order the desk builds is the order the risk rules judge: a plan's expected net
 * edge reaches the net-edge rule through the desk → orchestrator → order manager → risk path.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentDefinition, TriggerKind } from '../../src/agents/contract.ts';
import { Decimal } from '../../src/core/index.ts';
import { JournalReader, type JournalRecord } from '../../src/journal/index.ts';
import { parseDeskConfig } from '../../src/kernel/index.ts';
import { runDesk } from '../../src/modes/index.ts';
import { tempDir } from '../helpers/cli.ts';

const BUY_ON = 'sim-a:BTC-USDT';
const SELL_ON = 'sim-b:BTC-USDT';
const TRIGGERS: TriggerKind[] = ['price-move', 'spread', 'trade', 'timer'];

/** Proposes the same two-leg plan on every trigger, claiming `edgeBps` of net edge. */
const fixedEdgePlan: AgentDefinition<{ edgeBps: number }> = {
  type: 'fixed-edge-plan',
  description: 'test agent: a buy/sell plan across two venues with a fixed claimed net edge',
  role: 'proposer',
  configSchema: z.object({ edgeBps: z.number() }).strict(),
  create: (id, config) => ({
    id,
    type: 'fixed-edge-plan',
    role: 'proposer',
    triggers: TRIGGERS,
    process: (ctx) => {
      if (ctx.market.lastPrice(BUY_ON) === undefined || ctx.market.lastPrice(SELL_ON) === undefined)
        return { intents: [], confidence: 0, reasoning: 'waiting for both books', expectedReturn: 0 };
      const quantity = Decimal.from('0.001');
      return {
        intents: [
          {
            kind: 'plan',
            label: 'fixed-edge',
            legs: [
              { kind: 'order', instrumentId: BUY_ON, side: 'buy', type: 'market', quantity },
              { kind: 'order', instrumentId: SELL_ON, side: 'sell', type: 'market', quantity },
            ],
            expectedNetEdge: config.edgeBps / 10_000,
          },
        ],
        confidence: 1,
        reasoning: `plan claiming ${config.edgeBps} bp`,
        expectedReturn: config.edgeBps / 10_000,
      };
    },
  }),
};

async function runWithEdge(edgeBps: number): Promise<JournalRecord[]> {
  const dir = join(tempDir(), 'journal');
  const config = parseDeskConfig({
    seed: 11,
    journal: { dir },
    risk: { minNetEdgeBps: 5 },
    agents: [{ id: 'planner', type: 'fixed-edge-plan', config: { edgeBps } }],
  });
  await runDesk({
    config,
    durationMs: 20_000,
    speed: Number.POSITIVE_INFINITY,
    agentDefinitions: [fixedEdgePlan as AgentDefinition<unknown>],
  });
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()];
  } finally {
    reader.close();
  }
}

interface DeniedPayload {
  readonly order: { readonly clientOrderId: string; readonly reason?: string };
  readonly denial: { readonly code: string; readonly rule: string; readonly message: string };
}

const denialsOf = (records: readonly JournalRecord[]) =>
  records.filter((r) => r.type === 'order.denied').map((r) => r.payload as DeniedPayload);

describe('pre-trade checks on the desk path', () => {
  it('denies every leg of a plan whose net edge is below risk.minNetEdgeBps, and sends none', async () => {
    const records = await runWithEdge(2);
    expect(records.filter((r) => r.type === 'plan.started').length).toBeGreaterThan(0);
    const denials = denialsOf(records);
    expect(denials.length).toBeGreaterThan(0);
    for (const d of denials) {
      expect(d.denial).toMatchObject({ code: 'NET_EDGE_BELOW_MIN', rule: 'net-edge' });
      expect(d.denial.message).toContain('limit=5, value=2');
      // One code prefix on the order's reason, none inside the message.
      expect(d.order.reason).toBe(`NET_EDGE_BELOW_MIN: ${d.denial.message}`);
    }
    expect(records.filter((r) => r.type === 'order.submitted')).toEqual([]);
  });

  it('passes the same plan when its net edge clears the minimum', async () => {
    const records = await runWithEdge(8);
    expect(records.filter((r) => r.type === 'order.submitted').length).toBeGreaterThan(0);
    expect(denialsOf(records).filter((d) => d.denial.code === 'NET_EDGE_BELOW_MIN')).toEqual([]);
  });
});
