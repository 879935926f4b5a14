import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENTS, isValidTopic, patterns, segment, topicMatches, topics } from '../../src/bus/index.ts';

describe('topics (the switchboard)', () => {
  it('builds NATS-style dot-separated topics', () => {
    expect(topics.data('book', 'binance', 'BTCUSDT')).toBe('data.book.binance.BTCUSDT');
    expect(topics.event(EVENTS.orderAccepted)).toBe('order.accepted');
    expect(topics.event(EVENTS.decision)).toBe('decision');
    expect(topics.system('halt')).toBe('system.halt');
    expect(topics.rpc('oms', 'cancelAll')).toBe('rpc.oms.cancelAll');
    expect(topics.chain('mined', 1)).toBe('chain.mined.1');
  });

  it('sanitises dots, wildcards and whitespace inside a value so it stays one segment', () => {
    expect(topics.data('book', 'bin.ance', 'BTC USDT')).toBe('data.book.bin_ance.BTC_USDT');
    expect(segment('a*b>c\td')).toBe('a_b_c_d');
    expect(segment('BTC/USDT:USDT')).toBe('BTC/USDT:USDT');
  });

  it('always yields a valid concrete topic with exactly the expected number of segments', () => {
    const value = fc.string({ minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(value, value, value, (kind, venue, symbol) => {
        const topic = topics.data(kind, venue, symbol);
        expect(isValidTopic(topic)).toBe(true);
        expect(topic.split('.')).toHaveLength(4);
        expect(topicMatches(patterns.data(), topic)).toBe(true);
        expect(topicMatches(patterns.data(undefined, venue), topic)).toBe(true);
      }),
    );
  });

  it('refuses an empty segment value with a coded error', () => {
    expect(() => topics.system('')).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_BUS_TOPIC_INVALID' }),
    );
  });

  it('builds patterns that select the intended family of topics', () => {
    expect(patterns.data(undefined, 'kraken')).toBe('data.*.kraken.*');
    expect(topicMatches(patterns.events('order'), topics.event(EVENTS.orderFilled))).toBe(true);
    expect(topicMatches(patterns.event(EVENTS.orderAccepted), topics.event(EVENTS.orderFilled))).toBe(false);
    expect(topicMatches(patterns.events('agent'), topics.event(EVENTS.agentState))).toBe(true);
    expect(topicMatches(patterns.everything, topics.system('x'))).toBe(true);
  });
});
