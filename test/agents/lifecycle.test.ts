import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  LIFECYCLE_STATES,
  LIFECYCLE_TRANSITIONS,
  Lifecycle,
  type LifecycleState,
  type LifecycleTransition,
} from '../../src/agents/lifecycle.ts';
import { isConcordError } from '../../src/core/index.ts';

describe('lifecycle', () => {
  it('follows READY → STARTING → RUNNING ⇄ DEGRADED → STOPPING → STOPPED', () => {
    const seen: LifecycleTransition[] = [];
    const l = new Lifecycle('agent a', (t) => seen.push(t));
    for (const s of [
      'STARTING',
      'RUNNING',
      'DEGRADED',
      'RUNNING',
      'DEGRADED',
      'STOPPING',
      'STOPPED',
    ] as const)
      l.transition(s);
    expect(l.state).toBe('STOPPED');
    expect(seen.map((t) => `${t.from}>${t.to}`)).toEqual([
      'READY>STARTING',
      'STARTING>RUNNING',
      'RUNNING>DEGRADED',
      'DEGRADED>RUNNING',
      'RUNNING>DEGRADED',
      'DEGRADED>STOPPING',
      'STOPPING>STOPPED',
    ]);
  });

  it('reaches FAULTED from every non-terminal state, and nothing leaves STOPPED', () => {
    for (const s of ['READY', 'STARTING', 'RUNNING', 'DEGRADED', 'STOPPING'] as const)
      expect(canTransition(s, 'FAULTED')).toBe(true);
    expect(LIFECYCLE_TRANSITIONS.STOPPED).toEqual([]);
    expect(LIFECYCLE_TRANSITIONS.FAULTED).toEqual(['READY']);
  });

  it('refuses an illegal transition with a coded error and stays where it was', () => {
    const l = new Lifecycle('agent a');
    let caught: unknown;
    try {
      l.transition('RUNNING');
    } catch (err) {
      caught = err;
    }
    expect(isConcordError(caught, 'CONCORD_ERR_LIFECYCLE_TRANSITION')).toBe(true);
    expect(String((caught as Error).message)).toContain('agent a cannot go from READY to RUNNING');
    expect(l.state).toBe('READY');
  });

  it('quarantines into FAULTED, listeners already see the flag, and only a reset clears it', () => {
    let flagSeen = false;
    const l = new Lifecycle('agent q', () => {
      flagSeen = l.quarantined;
    });
    l.transition('STARTING');
    l.transition('RUNNING');
    l.quarantine('3 failures');
    expect(l.state).toBe('FAULTED');
    expect(l.quarantined).toBe(true);
    expect(flagSeen).toBe(true);
    expect(l.callable).toBe(false);
    expect(() => l.transition('RUNNING')).toThrow(/CONCORD_ERR_LIFECYCLE_TRANSITION/);
    l.reset();
    expect(l.state).toBe('READY');
    expect(l.quarantined).toBe(false);
  });

  it('a reset of a component that is not FAULTED is refused and keeps the flag as it was', () => {
    const l = new Lifecycle('x');
    expect(() => l.reset()).toThrow(/CONCORD_ERR_LIFECYCLE_TRANSITION/);
    expect(l.state).toBe('READY');
  });

  it('property: random sequences never take an illegal transition', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...LIFECYCLE_STATES), { maxLength: 60 }),
        fc.boolean(),
        (targets, useQuarantine) => {
          const taken: LifecycleTransition[] = [];
          const l = new Lifecycle('p', (t) => taken.push(t));
          let expectedState: LifecycleState = 'READY';
          for (const to of targets) {
            const legal = canTransition(expectedState, to);
            let threw = false;
            try {
              if (to === 'FAULTED' && useQuarantine) l.quarantine('p');
              else l.transition(to);
            } catch (err) {
              threw = true;
              expect(isConcordError(err, 'CONCORD_ERR_LIFECYCLE_TRANSITION')).toBe(true);
            }
            expect(threw).toBe(!legal);
            if (legal) expectedState = to;
            expect(l.state).toBe(expectedState);
            if (l.quarantined) expect(l.state).toBe('FAULTED');
          }
          for (const t of taken) expect(LIFECYCLE_TRANSITIONS[t.from]).toContain(t.to);
        },
      ),
      { numRuns: 500 },
    );
  });
});
