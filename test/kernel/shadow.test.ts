import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../src/bus/index.ts';
import { isConcordError, SimulatedClock } from '../../src/core/index.ts';
import { type JournalRecord, SqliteJournal } from '../../src/journal/index.ts';
import {
  type AgentSpec,
  Desk,
  type PromotionThresholds,
  parseDeskConfig,
  parseShadowConfig,
  shadowDeskConfig,
  startTimeMs,
  validateShadowConfig,
} from '../../src/kernel/index.ts';
import type { OrderRequest } from '../../src/model/index.ts';
import {
  evaluatePromotion,
  type LiveSummary,
  liveSummaryOf,
  PnlTracker,
  type ShadowReport,
  ShadowSession,
} from '../../src/modes/shadow.ts';
import { marketFeed, SimulatedVenue, SyntheticMarket } from '../../src/venues/index.ts';
import { tempDir } from '../helpers/cli.ts';

/** A live venue that remembers every order it was asked to place. */
class SpyVenue extends SimulatedVenue {
  readonly asked: string[] = [];
  override submitOrder(request: OrderRequest): Promise<void> {
    this.asked.push(request.clientOrderId);
    return super.submitOrder(request);
  }
}

const LIVE_AGENTS = [
  { id: 'momentum-slow', type: 'momentum', config: { lookback: 120, quantity: 0.05, maxPosition: 0.2 } },
  { id: 'mean-reversion', type: 'mean-reversion', config: { quantity: 0.05, maxPosition: 0.2 } },
];
const CANDIDATE: AgentSpec = {
  id: 'momentum-candidate',
  type: 'momentum',
  config: { lookback: 5, thresholdBps: 2, quantity: 0.02, maxPosition: 0.1 },
  isolated: false,
};

interface HarnessResult {
  readonly live: readonly JournalRecord[];
  readonly liveHash: string;
  readonly liveSubmitted: readonly string[];
  readonly liveSummary: LiveSummary;
  readonly session?: ShadowSession;
  readonly report?: ShadowReport;
  readonly shadowRecords?: readonly JournalRecord[];
}

/** The sandbox desk as runDesk builds it, with an optional shadow session fed after each live step. */
async function runHarness(options: {
  seed: number;
  dir: string;
  minutes: number;
  candidates?: AgentSpec[];
  beforeEvent?: (session: ShadowSession, step: number) => void;
}): Promise<HarnessResult> {
  const config = parseDeskConfig({ seed: options.seed, journal: { dir: options.dir }, agents: LIVE_AGENTS });
  const startTs = startTimeMs(config);
  const clock = new SimulatedClock(startTs);
  const market = new SyntheticMarket({ seed: options.seed, startTs, tickMs: config.market.tickMs });
  const instruments = market.instruments();
  const venues = [...new Set(instruments.map((i) => i.venue))].map(
    (id) =>
      new SpyVenue({
        id,
        clock,
        instruments: instruments.filter((i) => i.venue === id),
        balances: config.venues.balances,
        latencyMs: config.venues.latencyMs,
      }),
  );
  const journal = SqliteJournal.open(options.dir);
  const desk = new Desk({ config, clock, journal, venues, instruments, marketTap: marketFeed(venues) });
  // Not a real run start: this harness journals only what its comparisons need.
  desk.record(EVENTS.runStart, { seed: options.seed, startTs } as never);
  await desk.start();
  let session: ShadowSession | undefined;
  if (options.candidates !== undefined) {
    session = new ShadowSession({
      id: 'cand-1',
      config: shadowDeskConfig(config, options.candidates),
      clock,
      instruments,
      journalDir: options.dir,
      recordLive: (type, payload) => desk.record(type, payload),
    });
    await session.start();
  }
  let step = 0;
  while (clock.now() - startTs < options.minutes * 60_000) {
    for (const event of market.next()) {
      const pending = desk.step(event);
      if (pending !== undefined) await pending;
      if (session !== undefined) {
        options.beforeEvent?.(session, step);
        const shadowPending = session.onMarketEvent(event);
        if (shadowPending !== undefined) await shadowPending;
      }
    }
    step++;
  }
  const liveSummary = liveSummaryOf(desk);
  const report = session === undefined ? undefined : await session.stop(liveSummary);
  desk.record(EVENTS.runEnd, { counters: desk.counters } as never);
  desk.flush();
  await desk.stop();
  const live = [...journal.records()];
  const liveHash = journal.head().hash;
  journal.close();
  let shadowRecords: JournalRecord[] | undefined;
  if (session !== undefined) {
    const reader = SqliteJournal.open(join(options.dir, 'shadow', 'cand-1'));
    shadowRecords = [...reader.records()];
    reader.close();
  }
  return {
    live,
    liveHash,
    liveSubmitted: venues.flatMap((v) => v.asked),
    liveSummary,
    ...(session === undefined ? {} : { session }),
    ...(report === undefined ? {} : { report }),
    ...(shadowRecords === undefined ? {} : { shadowRecords }),
  };
}

/** What a record says, without its place in the chain. */
const content = (r: JournalRecord) => `${r.ts}|${r.type}|${r.payloadJson}`;

describe('ShadowSession on the sandbox market', () => {
  const runs = (async () => {
    const base = tempDir();
    const without = await runHarness({ seed: 11, dir: join(base, 'without'), minutes: 3 });
    const withA = await runHarness({
      seed: 11,
      dir: join(base, 'with-a'),
      minutes: 3,
      candidates: [CANDIDATE],
    });
    const withB = await runHarness({
      seed: 11,
      dir: join(base, 'with-b'),
      minutes: 3,
      candidates: [CANDIDATE],
    });
    return { without, withA, withB };
  })();

  it('sends candidate orders only to its own simulated venues', async () => {
    const { without, withA } = await runs;
    const session = withA.session as ShadowSession;
    const report = withA.report as ShadowReport;
    // The candidate did trade, in its own venues.
    expect(report.orders).toBeGreaterThan(0);
    expect(report.fills).toBeGreaterThan(0);
    const submittedInShadow = (withA.shadowRecords ?? [])
      .filter((r) => r.type === 'order.submitted')
      .map((r) => (r.payload as { order: { clientOrderId: string } }).order.clientOrderId);
    expect(submittedInShadow.length).toBe(report.orders);
    let reached = 0;
    for (const id of submittedInShadow) {
      const found = (await Promise.all(session.venues.map((v) => v.fetchOrder(id)))).filter(
        (s) => s !== undefined,
      );
      // An order still in flight (venue latency) when the run ended has not reached the engine.
      if (found.length === 0) continue;
      reached++;
      expect(found).toHaveLength(1);
      expect(found[0]?.venueOrderId).toMatch(/^shadow-cand-1-/);
    }
    expect(reached).toBeGreaterThanOrEqual(submittedInShadow.length - 1);
    // The live venues saw exactly the orders they see without a shadow session.
    expect(withA.liveSubmitted).toEqual(without.liveSubmitted);
    expect(without.liveSubmitted.length).toBeGreaterThan(0);
  });

  it('leaves the live journal unchanged except for shadow.* records', async () => {
    const { without, withA } = await runs;
    const shadowTypes = withA.live.filter((r) => r.type.startsWith('shadow.')).map((r) => r.type);
    expect(shadowTypes).toEqual(['shadow.started', 'shadow.report']);
    const nonShadow = withA.live.filter((r) => !r.type.startsWith('shadow.')).map(content);
    expect(nonShadow).toEqual(without.live.map(content));
    // Nothing of the candidate leaks into the live journal's decisions.
    expect(
      withA.live.some(
        (r) => r.type === 'decision' && (r.payload as { agentId: string }).agentId === CANDIDATE.id,
      ),
    ).toBe(false);
  });

  it('reports figures consistent with the shadow desk and its journal', async () => {
    const { withA } = await runs;
    const session = withA.session as ShadowSession;
    const report = withA.report as ShadowReport;
    const desk = session.desk;
    expect(report.status).toBe('STOPPED');
    expect(session.currentState).toBe('STOPPED');
    // The session's venues stopped with it: nothing can reach them any more.
    for (const v of session.venues) expect(v.lifecycle.state).toBe('STOPPED');
    expect(report.pnl).toBe(desk.portfolio.totalPnlExact().toNumber());
    expect(report.realizedPnl).toBe(desk.portfolio.realizedExact().toNumber());
    expect(report.fees).toBe(desk.portfolio.feesExact().toNumber());
    expect(report.fills).toBe(desk.counters.fills);
    expect(report.decisions).toBe(desk.counters.decisions);
    expect(report.agents.map((a) => a.id)).toEqual([CANDIDATE.id]);
    expect(report.agents[0]?.decisions).toBe(report.decisions);
    expect(report.durationMs).toBeGreaterThanOrEqual(3 * 60_000 - 1000);
    expect(report.returns.samples).toBeGreaterThanOrEqual(170);
    expect(report.maxDrawdown).toBeGreaterThanOrEqual(0);
    expect(report.vsLive?.livePnl).toBe(withA.liveSummary.pnl);
    expect(report.vsLive?.pnlDelta).toBeCloseTo(report.pnl - withA.liveSummary.pnl, 9);
    expect(report.journal.records).toBe(withA.shadowRecords?.length);
    expect(report.journal.hash).toBe(withA.shadowRecords?.at(-1)?.hash);
    expect(withA.shadowRecords?.[0]?.type).toBe('shadow.start');
    expect(withA.shadowRecords?.filter((r) => r.type === 'order.submitted').length).toBe(report.orders);
    // The live journal carries the same final report.
    const journaled = withA.live.find((r) => r.type === 'shadow.report')?.payload as ShadowReport;
    expect(journaled.pnl).toBe(report.pnl);
    expect(journaled.journal.hash).toBe(report.journal.hash);
  });

  it('is deterministic: the same seed gives the same report, shadow journal and live journal', async () => {
    const { withA, withB } = await runs;
    expect(withB.report).toEqual(withA.report);
    expect(withB.liveHash).toBe(withA.liveHash);
    expect(withB.shadowRecords?.map((r) => r.hash)).toEqual(withA.shadowRecords?.map((r) => r.hash));
  });

  it('a different seed gives a different shadow journal', async () => {
    const { withA } = await runs;
    const other = await runHarness({
      seed: 12,
      dir: join(tempDir(), 'seed-12'),
      minutes: 1,
      candidates: [CANDIDATE],
    });
    expect(other.report?.journal.hash).not.toBe(withA.report?.journal.hash);
    expect(other.report?.decisions).toBeGreaterThan(0);
  });

  it('journals the promotion decision in the live journal', async () => {
    const base = tempDir();
    const dir = join(base, 'promo');
    const config = parseDeskConfig({ seed: 3, journal: { dir }, agents: LIVE_AGENTS });
    const clock = new SimulatedClock(startTimeMs(config));
    const market = new SyntheticMarket({ seed: 3, startTs: clock.now(), tickMs: 100 });
    const recorded: Array<{ type: string; payload: unknown }> = [];
    const session = new ShadowSession({
      id: 'promo',
      config: shadowDeskConfig(config, [CANDIDATE]),
      clock,
      instruments: market.instruments(),
      journalDir: dir,
      recordLive: (event, payload) => recorded.push({ type: event.name, payload }),
    });
    await session.start();
    for (let i = 0; i < 50; i++) {
      for (const e of market.next()) {
        clock.advanceTo(Math.max(clock.now(), e.ts));
        await session.onMarketEvent(e);
      }
    }
    const thresholds = parseShadowConfig({}).promotion;
    const decision = session.evaluatePromotion(thresholds, { pnl: 0 });
    expect(decision.eligible).toBe(false);
    expect(decision.reasons.some((r) => r.startsWith('minDurationMs'))).toBe(true);
    const last = recorded.at(-1);
    expect(last?.type).toBe('shadow.promotion');
    expect((last?.payload as { eligible?: boolean } | undefined)?.eligible).toBe(false);
    await session.stop();
    expect(recorded.map((r) => r.type)).toEqual(['shadow.started', 'shadow.promotion', 'shadow.report']);
  });

  it('faults the session, not the live desk, when the shadow cannot write its journal', async () => {
    const base = tempDir();
    const result = await runHarness({
      seed: 5,
      dir: join(base, 'fault'),
      minutes: 1,
      candidates: [CANDIDATE],
      beforeEvent: (session, step) => {
        if (step === 50) session.journal.close();
      },
    });
    const report = result.report as ShadowReport;
    expect(report.status).toBe('FAULTED');
    expect(report.faultReason).toMatch(/^CONCORD_ERR_JOURNAL/);
    const types = result.live.map((r) => r.type);
    // The live desk kept going to the end of its run after the shadow faulted.
    expect(types.indexOf('shadow.faulted')).toBeGreaterThan(0);
    expect(types.indexOf('run.end')).toBeGreaterThan(types.indexOf('shadow.faulted'));
    expect(
      result.live.filter((r) => r.type === 'market' && r.seq > types.indexOf('shadow.faulted')).length,
    ).toBeGreaterThan(100);
    expect(evaluatePromotion(report, ZERO).reasons.some((r) => r.startsWith('session faulted'))).toBe(true);
  });

  it('refuses a session id that is not a plain name, and a session directory already used', async () => {
    const base = tempDir();
    const config = parseDeskConfig({ journal: { dir: base }, agents: LIVE_AGENTS });
    const clock = new SimulatedClock(0);
    const instruments = new SyntheticMarket({ seed: 1, startTs: 0, tickMs: 100 }).instruments();
    const make = (id: string) =>
      new ShadowSession({
        id,
        config: shadowDeskConfig(config, [CANDIDATE]),
        clock,
        instruments,
        journalDir: base,
      });
    expect(() => make('../escape')).toThrow(/shadow\.sessionId/);
    const first = make('once');
    await first.start();
    await first.stop();
    expect(() => make('once')).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_SHADOW_SESSION_EXISTS' }),
    );
    const fresh = make('twice');
    expect(() =>
      fresh.onMarketEvent(new SyntheticMarket({ seed: 1, startTs: 0, tickMs: 100 }).next()[0] as never),
    ).toThrow(
      expect.objectContaining({
        code: 'CONCORD_ERR_SHADOW_STATE',
        details: expect.objectContaining({ state: 'CREATED' }),
      }),
    );
    expect(fresh.currentState).toBe('CREATED');
    await fresh.stop();
    // Never started, still released: CREATED → STOPPING → STOPPED, and the report says so.
    expect(fresh.currentState).toBe('STOPPED');
    expect(fresh.report().status).toBe('STOPPED');
  });
});

// ---------------------------------------------------------------------------------------------

const ZERO: PromotionThresholds = {
  minDecisions: 0,
  minFills: 0,
  minPnl: Number.NEGATIVE_INFINITY,
  maxDrawdown: Number.MAX_VALUE,
  minDurationMs: 0,
};

function fakeReport(over: Partial<ShadowReport> = {}): ShadowReport {
  return {
    sessionId: 's',
    status: 'RUNNING',
    faultReason: null,
    startTs: 0,
    ts: 10_000,
    durationMs: 10_000,
    agents: [
      {
        id: 'c',
        type: 'momentum',
        status: 'RUNNING',
        decisions: 500,
        trust: 1,
        pnl: 0,
        fees: 0,
        trades: 0,
        failures: 0,
      },
    ],
    marketEvents: 1000,
    triggers: 600,
    decisions: 500,
    orders: 40,
    denied: 0,
    rejected: 0,
    fills: 30,
    pnl: 120,
    realizedPnl: 100,
    unrealizedPnl: 30,
    fees: 10,
    maxDrawdown: 50,
    returns: { samples: 10, mean: 12, stdDev: 4, sharpe: 3 },
    tradingState: 'ACTIVE',
    halts: 0,
    journal: { records: 10, hash: 'h' },
    vsLive: { livePnl: 100, pnlDelta: 20, liveDecisions: null, liveOrders: null, liveFills: null },
    ...over,
  };
}

const PASSING: PromotionThresholds = {
  minDecisions: 500,
  minFills: 30,
  minPnl: 120,
  maxDrawdown: 50,
  minDurationMs: 10_000,
  minPnlVsLive: 20,
};

describe('evaluatePromotion', () => {
  it('is eligible when every threshold is met exactly at its bound', () => {
    const d = evaluatePromotion(fakeReport(), PASSING);
    expect(d).toMatchObject({ eligible: true, reasons: [] });
    expect(d.checks.every((c) => c.ok)).toBe(true);
  });

  it.each([
    ['minDecisions', { decisions: 499 }],
    ['minFills', { fills: 29 }],
    ['minPnl', { pnl: 119.99 }],
    ['maxDrawdown', { maxDrawdown: 50.01 }],
    ['minDurationMs', { durationMs: 9_999 }],
    [
      'minPnlVsLive',
      { vsLive: { livePnl: 100, pnlDelta: 19.5, liveDecisions: null, liveOrders: null, liveFills: null } },
    ],
    ['minPnlVsLive', { vsLive: null }],
    ['session faulted', { status: 'FAULTED' as const, faultReason: 'CONCORD_ERR_JOURNAL_CLOSED: closed' }],
    ['shadow desk halted', { halts: 1 }],
    ['candidate(s) quarantined', { agents: [{ ...fakeReport().agents[0]!, status: 'QUARANTINED' }] }],
  ] as Array<[string, Partial<ShadowReport>]>)('denies when %s is not met', (name, over) => {
    const d = evaluatePromotion(fakeReport(over), PASSING);
    expect(d.eligible).toBe(false);
    expect(d.reasons).toHaveLength(1);
    expect(d.reasons[0]?.startsWith(name)).toBe(true);
  });

  it('ignores minPnlVsLive when it is not configured, even without a live summary', () => {
    const { minPnlVsLive: _unused, ...rest } = PASSING;
    expect(evaluatePromotion(fakeReport({ vsLive: null }), rest).eligible).toBe(true);
  });

  it('property: eligible exactly when no check fails, and stricter thresholds never turn a denial into eligibility', () => {
    const thresholds = fc.record({
      minDecisions: fc.nat(1000),
      minFills: fc.nat(100),
      minPnl: fc.double({ min: -1000, max: 1000, noNaN: true }),
      maxDrawdown: fc.double({ min: 0, max: 1000, noNaN: true }),
      minDurationMs: fc.nat(100_000),
    });
    const reportArb = fc.record({
      decisions: fc.nat(1000),
      fills: fc.nat(100),
      pnl: fc.double({ min: -1000, max: 1000, noNaN: true }),
      maxDrawdown: fc.double({ min: 0, max: 1000, noNaN: true }),
      durationMs: fc.nat(100_000),
    });
    fc.assert(
      fc.property(thresholds, reportArb, fc.nat(50), (t, r, bump) => {
        const report = fakeReport(r);
        const d = evaluatePromotion(report, t);
        const expected =
          r.decisions >= t.minDecisions &&
          r.fills >= t.minFills &&
          r.pnl >= t.minPnl &&
          r.maxDrawdown <= t.maxDrawdown &&
          r.durationMs >= t.minDurationMs;
        expect(d.eligible).toBe(expected);
        expect(d.reasons.length).toBe(d.checks.filter((c) => !c.ok).length);
        const stricter = {
          ...t,
          minDecisions: t.minDecisions + bump,
          minFills: t.minFills + bump,
          minPnl: t.minPnl + bump,
          maxDrawdown: Math.max(0, t.maxDrawdown - bump),
        };
        if (!d.eligible) expect(evaluatePromotion(report, stricter).eligible).toBe(false);
      }),
    );
  });
});

describe('PnlTracker', () => {
  const series = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 60 });

  it('property: max drawdown equals the brute-force largest fall from an earlier peak (starting at 0)', () => {
    fc.assert(
      fc.property(series, (pnls) => {
        const t = new PnlTracker();
        for (const p of pnls) t.observe(p);
        const path = [0, ...pnls];
        let brute = 0;
        for (let j = 0; j < path.length; j++)
          for (let i = 0; i <= j; i++) brute = Math.max(brute, path[i]! - path[j]!);
        expect(t.maxDrawdown()).toBe(brute);
      }),
    );
  });

  it('property: maxDrawdownWith(x) equals observing x, without changing the tracker', () => {
    fc.assert(
      fc.property(series, fc.double({ min: -1e6, max: 1e6, noNaN: true }), (pnls, x) => {
        const a = new PnlTracker();
        const b = new PnlTracker();
        for (const p of pnls) {
          a.observe(p);
          b.observe(p);
        }
        const before = a.maxDrawdown();
        const predicted = a.maxDrawdownWith(x);
        expect(a.maxDrawdown()).toBe(before);
        b.observe(x);
        expect(predicted).toBe(b.maxDrawdown());
      }),
    );
  });

  it('property: returns match the two-pass mean and sample standard deviation of PnL changes', () => {
    fc.assert(
      fc.property(series, (pnls) => {
        const t = new PnlTracker();
        for (const p of pnls) t.observe(p);
        const changes = pnls.map((p, i) => p - (i === 0 ? 0 : pnls[i - 1]!));
        const r = t.returns();
        expect(r.samples).toBe(changes.length);
        if (changes.length === 0) return;
        const mean = changes.reduce((s, c) => s + c, 0) / changes.length;
        const variance =
          changes.length > 1 ? changes.reduce((s, c) => s + (c - mean) ** 2, 0) / (changes.length - 1) : 0;
        const scale = Math.max(1, ...changes.map(Math.abs));
        expect(Math.abs(r.mean - mean)).toBeLessThanOrEqual(1e-9 * scale);
        expect(Math.abs(r.stdDev - Math.sqrt(variance))).toBeLessThanOrEqual(1e-6 * scale);
        if (r.stdDev === 0) expect(r.sharpe).toBe(0);
      }),
    );
  });
});

describe('shadow config section', () => {
  it('gives defaults: disabled, no candidates, conservative promotion thresholds', () => {
    const s = parseShadowConfig(undefined);
    expect(s.enabled).toBe(false);
    expect(s.candidates).toEqual([]);
    expect(s.promotion.minPnlVsLive).toBeUndefined();
    expect(s.promotion.minDurationMs).toBeGreaterThan(0);
  });

  it('parses candidates like live agents', () => {
    const s = parseShadowConfig({
      enabled: true,
      candidates: [{ id: 'c1', type: 'momentum', config: { lookback: 7 } }],
      promotion: { minPnlVsLive: 5 },
    });
    expect(s.candidates[0]).toEqual({ id: 'c1', type: 'momentum', config: { lookback: 7 }, isolated: false });
    expect(s.promotion.minPnlVsLive).toBe(5);
  });

  it.each([
    [{ promotion: { minFills: -1 } }, 'shadow.promotion.minFills'],
    [{ promotion: { maxDrawdown: Number.NaN } }, 'shadow.promotion.maxDrawdown'],
    [{ promotion: { minFils: 3 } }, 'shadow.promotion.minFils'],
    [{ enabled: 'yes' }, 'shadow.enabled'],
    [{ candidates: [{ id: 'Bad Id', type: 'momentum' }] }, 'shadow.candidates.0.id'],
    [{ enabled: true }, 'shadow.candidates'],
    [
      {
        candidates: [
          { id: 'a', type: 'momentum' },
          { id: 'a', type: 'momentum' },
        ],
      },
      'shadow.candidates.1.id',
    ],
    [{ extra: 1 }, 'shadow.extra'],
  ])('rejects %j naming %s', (raw, path) => {
    try {
      parseShadowConfig(raw);
      expect.unreachable();
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_CONFIG_INVALID')).toBe(true);
      expect((err as { details: { path: string } }).details.path).toBe(path);
      expect((err as Error).message).toContain(`"${path}"`);
    }
  });

  it.each([
    [{ id: 'c', type: 'no-such-agent' }, 'shadow.candidates.0.type'],
    [{ id: 'c', type: 'momentum', config: { lookback: -3 } }, 'shadow.candidates.0.config.lookback'],
  ])('validates candidate %j against the agent registry, naming %s', (candidate, path) => {
    const live = parseDeskConfig({});
    const shadow = parseShadowConfig({ enabled: true, candidates: [candidate] });
    try {
      validateShadowConfig(live, shadow);
      expect.unreachable();
    } catch (err) {
      expect(isConcordError(err, 'CONCORD_ERR_CONFIG_INVALID')).toBe(true);
      expect((err as { details: { path: string } }).details.path).toBe(path);
      expect((err as Error).message).toContain(`"${path}"`);
    }
  });

  it('builds the shadow desk config from the live one with only the candidates', () => {
    const live = parseDeskConfig({ seed: 9, risk: {} });
    const cfg = shadowDeskConfig(live, [CANDIDATE]);
    expect(cfg.agents).toEqual([CANDIDATE]);
    expect(cfg.risk).toBe(live.risk);
    expect(cfg.seed).toBe(9);
    expect(live.agents.length).toBeGreaterThan(1);
  });
});
