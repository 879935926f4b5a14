import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canLifecycleTransition,
  isConcordError,
  isFinalLifecycleState,
  isLifecycleState,
  isWorkingLifecycleState,
  LIFECYCLE_STATES,
  LIFECYCLE_TRANSITIONS,
  Lifecycle,
  type LifecycleState,
  type LifecycleTransition,
} from '../../src/core/index.ts';

/** Every state reachable from `from` along the table (from included). */
function reachable(from: LifecycleState): Set<LifecycleState> {
  const seen = new Set<LifecycleState>([from]);
  const todo = [from];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    for (const next of LIFECYCLE_TRANSITIONS[s]) {
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen;
}

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('the lifecycle table', () => {
  it('names only states of the closed set, and every state has a row', () => {
    expect(Object.keys(LIFECYCLE_TRANSITIONS).sort()).toEqual([...LIFECYCLE_STATES].sort());
    for (const targets of Object.values(LIFECYCLE_TRANSITIONS))
      for (const to of targets) expect(isLifecycleState(to)).toBe(true);
    expect(isLifecycleState('READY')).toBe(false);
    expect(isLifecycleState('running')).toBe(false);
  });

  it('STOPPED and FAULTED are final; QUARANTINED leaves only by a reset to CREATED', () => {
    expect(LIFECYCLE_STATES.filter(isFinalLifecycleState)).toEqual(['STOPPED', 'FAULTED']);
    expect(LIFECYCLE_TRANSITIONS.QUARANTINED).toEqual(['CREATED']);
    expect(LIFECYCLE_STATES.filter(isWorkingLifecycleState)).toEqual(['RUNNING', 'DEGRADED']);
  });

  it('every state is reachable from CREATED, and every state that is not FAULTED can still reach STOPPED', () => {
    expect([...reachable('CREATED')].sort()).toEqual([...LIFECYCLE_STATES].sort());
    for (const s of LIFECYCLE_STATES) {
      if (s === 'FAULTED') continue;
      expect(reachable(s).has('STOPPED')).toBe(true);
    }
  });

  it('a failure can end anything still alive: FAULTED from every state that is neither final nor quarantined', () => {
    for (const s of LIFECYCLE_STATES) {
      const expected = !isFinalLifecycleState(s) && s !== 'QUARANTINED';
      expect(canLifecycleTransition(s, 'FAULTED')).toBe(expected);
    }
  });

  it('no state moves to itself (a transition is always a change)', () => {
    for (const s of LIFECYCLE_STATES) expect(canLifecycleTransition(s, s)).toBe(false);
  });
});

describe('Lifecycle', () => {
  it('follows CREATED → STARTING → RUNNING ⇄ DEGRADED → STOPPING → STOPPED and tells its listeners', () => {
    const seen: LifecycleTransition[] = [];
    const l = new Lifecycle('agent a', (t) => seen.push(t));
    expect(l.state).toBe('CREATED');
    for (const s of [
      'STARTING',
      'RUNNING',
      'DEGRADED',
      'RUNNING',
      'DEGRADED',
      'STOPPING',
      'STOPPED',
    ] as const)
      l.transition(s, `to ${s}`);
    expect(l.state).toBe('STOPPED');
    expect(l.final).toBe(true);
    expect(l.reason).toBe('to STOPPED');
    expect(seen.map((t) => `${t.from}>${t.to}`)).toEqual([
      'CREATED>STARTING',
      'STARTING>RUNNING',
      'RUNNING>DEGRADED',
      'DEGRADED>RUNNING',
      'RUNNING>DEGRADED',
      'DEGRADED>STOPPING',
      'STOPPING>STOPPED',
    ]);
  });

  it('refuses an illegal transition with a coded error naming both states, and stays where it was', () => {
    const l = new Lifecycle('venue x');
    const err = refusal(() => l.transition('RUNNING', 'too early'));
    expect(isConcordError(err, 'CONCORD_ERR_LIFECYCLE_TRANSITION')).toBe(true);
    expect((err as Error).message).toContain('venue x cannot go from CREATED to RUNNING');
    expect((err as { details: unknown }).details).toMatchObject({ from: 'CREATED', to: 'RUNNING' });
    expect(l.state).toBe('CREATED');
    expect(l.transitionIfAllowed('RUNNING')).toBe(false);
    expect(l.transitionIfAllowed('STARTING', 'go')).toBe(true);
    expect(l.state).toBe('STARTING');
  });

  it('a quarantined component stays out until an operator reset, then starts again from CREATED', () => {
    const l = new Lifecycle('agent q');
    l.transition('STARTING');
    l.transition('RUNNING');
    l.transition('QUARANTINED', '3 failures');
    expect(l.working).toBe(false);
    for (const to of ['RUNNING', 'STARTING', 'STOPPING', 'STOPPED', 'FAULTED'] as const)
      expect(
        isConcordError(
          refusal(() => l.transition(to)),
          'CONCORD_ERR_LIFECYCLE_TRANSITION',
        ),
      ).toBe(true);
    l.transition('CREATED', 'operator reset');
    l.transition('STARTING');
    l.transition('RUNNING');
    expect(l.working).toBe(true);
  });

  it('assertWorking refuses work outside RUNNING and DEGRADED with its own code', () => {
    const l = new Lifecycle('venue s');
    expect(
      isConcordError(
        refusal(() => l.assertWorking('submit')),
        'CONCORD_ERR_LIFECYCLE_STATE',
      ),
    ).toBe(true);
    l.transition('STARTING');
    l.transition('RUNNING');
    expect(() => l.assertWorking('submit')).not.toThrow();
    l.transition('DEGRADED');
    expect(() => l.assertWorking('submit')).not.toThrow();
    l.transition('STOPPING', 'closed');
    const err = refusal(() => l.assertWorking('submit'));
    expect(isConcordError(err, 'CONCORD_ERR_LIFECYCLE_STATE')).toBe(true);
    expect((err as Error).message).toContain('venue s cannot submit while STOPPING (closed)');
  });

  it('a transition a listener requests is told after the one being told, to every listener', () => {
    const a: string[] = [];
    const b: string[] = [];
    const l = new Lifecycle('nested');
    l.onTransition((t) => {
      a.push(`${t.from}>${t.to}`);
      if (t.to === 'STARTING') l.transition('RUNNING', 'started by a listener');
    });
    l.onTransition((t) => b.push(`${t.from}>${t.to}`));
    l.transition('STARTING');
    expect(l.state).toBe('RUNNING');
    expect(a).toEqual(['CREATED>STARTING', 'STARTING>RUNNING']);
    expect(b).toEqual(a);
  });

  it('a listener that throws neither undoes the transition nor silences the others; its error comes back', () => {
    const heard: string[] = [];
    const l = new Lifecycle('loud');
    l.onTransition(() => {
      throw new Error('journal down');
    });
    const off = l.onTransition((t) => heard.push(t.to));
    expect(() => l.transition('STARTING')).toThrow('journal down');
    expect(l.state).toBe('STARTING');
    expect(heard).toEqual(['STARTING']);
    off();
    expect(() => l.transition('RUNNING')).toThrow('journal down');
    expect(heard).toEqual(['STARTING']);
  });

  it('property: any sequence of requests either follows the table or is refused, and listeners see a chain', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...LIFECYCLE_STATES), { maxLength: 80 }), (targets) => {
        const told: LifecycleTransition[] = [];
        const l = new Lifecycle('p', (t) => told.push(t));
        let model: LifecycleState = 'CREATED';
        let accepted = 0;
        for (const to of targets) {
          const wasFinal = isFinalLifecycleState(model);
          const legal = LIFECYCLE_TRANSITIONS[model].includes(to);
          const err = refusal(() => l.transition(to, `req ${to}`));
          if (legal) {
            expect(err).toBeUndefined();
            model = to;
            accepted++;
          } else {
            expect(isConcordError(err, 'CONCORD_ERR_LIFECYCLE_TRANSITION')).toBe(true);
          }
          // Once final, always final: nothing is ever accepted again.
          if (wasFinal) expect(legal).toBe(false);
          expect(l.state).toBe(model);
          expect(isLifecycleState(l.state)).toBe(true);
        }
        expect(told).toHaveLength(accepted);
        let at: LifecycleState = 'CREATED';
        for (const t of told) {
          expect(t.from).toBe(at);
          expect(canLifecycleTransition(t.from, t.to)).toBe(true);
          at = t.to;
        }
        expect(at).toBe(l.state);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a STOPPED or FAULTED lifecycle refuses every request whatever came before', () => {
    const path = fc.array(fc.constantFrom(...LIFECYCLE_STATES), { maxLength: 30 });
    fc.assert(
      fc.property(path, fc.constantFrom<LifecycleState>('STOPPED', 'FAULTED'), path, (before, end, after) => {
        const l = new Lifecycle('t');
        for (const to of before) l.transitionIfAllowed(to);
        // Drive it to the final state along the table (through a reset and a stop if need be).
        if (l.state === 'QUARANTINED') l.transition('CREATED');
        if (end === 'STOPPED' && l.state !== 'STOPPED') {
          if (l.state !== 'STOPPING' && !l.transitionIfAllowed('STOPPING')) return; // already FAULTED
          l.transition('STOPPED');
        }
        if (end === 'FAULTED' && !l.final) l.transition('FAULTED');
        const reached = l.state;
        expect(isFinalLifecycleState(reached)).toBe(true);
        for (const to of after) {
          expect(l.transitionIfAllowed(to)).toBe(false);
          expect(
            isConcordError(
              refusal(() => l.transition(to)),
              'CONCORD_ERR_LIFECYCLE_TRANSITION',
            ),
          ).toBe(true);
          expect(l.state).toBe(reached);
        }
      }),
      { numRuns: 300 },
    );
  });
});
