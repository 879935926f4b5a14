/**
 * Model-based property test of the supervision policy: random sequences of agent
 * behaviour and desk-clock moves, checked step by step against a small reference
 * model of backoff, restart and quarantine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentDefinition } from '../../src/agents/contract.ts';
import { AgentRegistry } from '../../src/agents/registry.ts';
import {
  AgentSupervisor,
  backoffDelay,
  DEFAULT_SUPERVISOR_POLICY,
  type SupervisorEvent,
  type SupervisorPolicy,
} from '../../src/agents/supervisor.ts';
import { SimulatedClock } from '../../src/core/index.ts';
import type { Decision } from '../../src/model/index.ts';
import { context, deps, noAction } from './helpers.ts';

type Behaviour = 'ok' | 'throw' | 'null' | 'nan';
let next: Behaviour = 'ok';

const puppet: AgentDefinition<unknown> = {
  type: 'puppet',
  description: 'does what the test says',
  role: 'proposer',
  configSchema: z.unknown(),
  create: (id) => ({
    id,
    type: 'puppet',
    role: 'proposer',
    triggers: ['spread'],
    process(): Decision {
      if (next === 'throw') throw new Error('puppet threw');
      if (next === 'null') return null as unknown as Decision;
      if (next === 'nan') return { ...noAction(), confidence: Number.NaN };
      return noAction();
    },
  }),
};

type Action = { kind: 'call'; behaviour: Behaviour } | { kind: 'advance'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('call' as const),
    behaviour: fc.constantFrom<Behaviour>('ok', 'throw', 'null', 'nan'),
  }),
  fc.record({
    kind: fc.constant('advance' as const),
    ms: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(999, 1000, 2000, 4000)),
  }),
);

const policyArb = fc.record({
  maxFailures: fc.integer({ min: 1, max: 5 }),
  backoffBaseMs: fc.integer({ min: 0, max: 2000 }),
  backoffMultiplier: fc.constantFrom(1, 1.5, 2, 3),
  backoffMaxMs: fc.integer({ min: 2000, max: 8000 }),
});

const expectedStatus = { ok: 'ok', throw: 'error', null: 'invalid', nan: 'invalid' } as const;

describe('supervision policy (model-based)', () => {
  it('property: backoff, restart and quarantine follow the reference model for any sequence', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(action, { maxLength: 40 }), async (p, actions) => {
        const policy: SupervisorPolicy = { ...DEFAULT_SUPERVISOR_POLICY, ...p };
        const clock = new SimulatedClock(0);
        const events: SupervisorEvent[] = [];
        const supervisor = new AgentSupervisor({
          clock,
          registry: new AgentRegistry([puppet]),
          deps: deps(),
          policy,
          onEvent: (e) => events.push(e),
        });
        supervisor.add({ id: 'p', type: 'puppet' });
        await supervisor.start();

        // Reference model.
        let mode: 'running' | 'backoff' | 'quarantined' = 'running';
        let due = 0;
        let consecutive = 0;
        let restarts = 0;

        for (const a of actions) {
          if (a.kind === 'advance') {
            clock.advanceBy(a.ms);
            if (mode === 'backoff' && due <= clock.now()) {
              mode = 'running';
              restarts++;
            }
          } else {
            next = a.behaviour;
            const r = await supervisor.call('p', context(), { deadlineMs: 10_000 });
            if (mode !== 'running') {
              expect(r.status).toBe('skipped');
            } else {
              expect(r.status).toBe(expectedStatus[a.behaviour]);
              if (a.behaviour === 'ok') consecutive = 0;
              else {
                consecutive++;
                if (consecutive >= policy.maxFailures) mode = 'quarantined';
                else {
                  mode = 'backoff';
                  due = clock.now() + backoffDelay(policy, consecutive);
                  // A zero backoff still waits for the clock to fire the timer.
                }
              }
            }
          }
          const s = supervisor.state('p');
          expect(s.state).toBe(
            mode === 'running' ? 'RUNNING' : mode === 'backoff' ? 'DEGRADED' : 'QUARANTINED',
          );
          expect(s.quarantined).toBe(mode === 'quarantined');
          expect(s.consecutiveFailures).toBe(consecutive);
          expect(s.restarts).toBe(restarts);
          expect(s.consecutiveFailures).toBeLessThanOrEqual(policy.maxFailures);
        }

        // Every failure is followed by exactly one of: a scheduled restart, or the quarantine.
        for (let i = 0; i < events.length; i++) {
          if (events[i]?.type !== 'agent.failed') continue;
          const following = events
            .slice(i + 1)
            .find((e) => e.type === 'agent.restarting' || e.type === 'agent.quarantined');
          expect(following).toBeDefined();
        }
        await supervisor.stop();
      }),
      { numRuns: 300 },
    );
  });

  it('backoffDelay is monotonic in the attempt and never above the cap', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 60 }), (p, attempt) => {
        const policy = { ...DEFAULT_SUPERVISOR_POLICY, ...p };
        const d = backoffDelay(policy, attempt);
        expect(d).toBeLessThanOrEqual(policy.backoffMaxMs);
        expect(backoffDelay(policy, attempt + 1)).toBeGreaterThanOrEqual(d);
        expect(backoffDelay(policy, 1)).toBe(Math.min(policy.backoffBaseMs, policy.backoffMaxMs));
      }),
    );
  });
});
