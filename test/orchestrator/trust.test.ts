import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isConcordError } from '../../src/core/index.ts';
import type { Outcome } from '../../src/model/index.ts';
import { TrustBook } from '../../src/orchestrator/index.ts';

function outcome(agentId: string, correct: boolean, realizedReturn: number, pnl = 0): Outcome {
  return { decisionId: 'd-1', agentId, ts: 0, correct, realizedReturn, pnl };
}

const outcomeArb = fc.record({
  agentId: fc.constantFrom('a', 'b', 'c'),
  correct: fc.boolean(),
  realizedReturn: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
  pnl: fc.double({ min: -100, max: 100, noNaN: true }),
});

describe('TrustBook', () => {
  it('starts new agents at trust 1', () => {
    const book = new TrustBook();
    expect(book.trust('new')).toBe(1);
    expect(book.stats('new')).toEqual({ agentId: 'new', trust: 1, decisions: 0, correct: 0, pnl: 0 });
  });

  it('raises trust multiplicatively when right and lowers it when wrong', () => {
    const book = new TrustBook({ learningRate: 0.1, returnScale: 0.001 });
    expect(book.update(outcome('a', true, 0.002))).toBeCloseTo(Math.exp(0.1), 12);
    expect(book.update(outcome('b', false, -0.0005))).toBeCloseTo(Math.exp(0.1 * (-0.5 - 0.25)), 12);
    expect(book.stats('a')).toMatchObject({ decisions: 1, correct: 1 });
    expect(book.stats('b')).toMatchObject({ decisions: 1, correct: 0 });
  });

  it('keeps trust within [minTrust, maxTrust]', () => {
    fc.assert(
      fc.property(fc.array(outcomeArb, { maxLength: 300 }), (outcomes) => {
        const book = new TrustBook({ learningRate: 0.5, minTrust: 0.2, maxTrust: 2 });
        for (const o of outcomes) {
          const t = book.update(outcome(o.agentId, o.correct, o.realizedReturn, o.pnl));
          expect(t).toBeGreaterThanOrEqual(0.2);
          expect(t).toBeLessThanOrEqual(2);
        }
      }),
    );
  });

  it('is monotone in the reward: a right call never lowers trust, a wrong one never raises it', () => {
    fc.assert(
      fc.property(outcomeArb, fc.double({ min: 0.1, max: 3, noNaN: true }), (o, start) => {
        const book = new TrustBook({ minTrust: 0.1, maxTrust: 3, initialTrust: 1 });
        book.restore({
          version: 1,
          agents: [{ agentId: o.agentId, trust: start, decisions: 0, correct: 0, pnl: 0 }],
        });
        const reward = book.reward(o);
        const after = book.update(outcome(o.agentId, o.correct, o.realizedReturn));
        if (reward > 0) expect(after).toBeGreaterThanOrEqual(start);
        if (reward < 0) expect(after).toBeLessThanOrEqual(start);
        expect(Math.abs(reward)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('gives one agent’s trust independently of other agents’ outcomes interleaved', () => {
    fc.assert(
      fc.property(fc.array(outcomeArb, { maxLength: 100 }), (outcomes) => {
        const all = new TrustBook();
        for (const o of outcomes) all.update(outcome(o.agentId, o.correct, o.realizedReturn));
        const onlyA = new TrustBook();
        for (const o of outcomes.filter((x) => x.agentId === 'a'))
          onlyA.update(outcome('a', o.correct, o.realizedReturn));
        expect(all.trust('a')).toBe(onlyA.trust('a'));
      }),
    );
  });

  it('survives a restart through snapshot and restore', () => {
    fc.assert(
      fc.property(
        fc.array(outcomeArb, { maxLength: 50 }),
        fc.array(outcomeArb, { maxLength: 50 }),
        (first, second) => {
          const continuous = new TrustBook();
          const before = new TrustBook();
          for (const o of first) {
            continuous.update(outcome(o.agentId, o.correct, o.realizedReturn, o.pnl));
            before.update(outcome(o.agentId, o.correct, o.realizedReturn, o.pnl));
          }
          const restarted = new TrustBook();
          restarted.restore(JSON.parse(JSON.stringify(before.snapshot())));
          for (const o of second) {
            continuous.update(outcome(o.agentId, o.correct, o.realizedReturn, o.pnl));
            restarted.update(outcome(o.agentId, o.correct, o.realizedReturn, o.pnl));
          }
          expect(restarted.snapshot()).toEqual(continuous.snapshot());
        },
      ),
    );
  });

  it('refuses a malformed snapshot with a coded error and keeps its state', () => {
    const book = new TrustBook();
    book.update(outcome('a', true, 0.01));
    const before = book.snapshot();
    try {
      book.restore({ version: 1, agents: [{ agentId: 'a', trust: -1, decisions: 0, correct: 0, pnl: 0 }] });
      expect.unreachable();
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_ORCHESTRATOR_SNAPSHOT_INVALID')).toBe(true);
      expect((err as { details: { path: string } }).details.path).toBe('agents.0.trust');
    }
    expect(book.snapshot()).toEqual(before);
  });

  it('names the invalid config field', () => {
    expect(() => new TrustBook({ minTrust: 2, maxTrust: 1 })).toThrow(/orchestrator\.trust\.initialTrust/);
  });
});
