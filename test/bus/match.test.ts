import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidPattern, isValidTopic, topicMatches } from '../../src/bus/index.ts';

/** Reference matcher: translate the pattern into a regular expression. */
function referenceMatches(pattern: string, topic: string): boolean {
  const source = pattern
    .split('.')
    .map((s) =>
      s === '*' ? '[^.]+' : s === '>' ? '[^.]+(?:\\.[^.]+)*' : s.replace(/[\\^$+?()[\]{}|]/g, '\\$&'),
    )
    .join('\\.');
  return new RegExp(`^${source}$`).test(topic);
}

const segmentArb = fc.constantFrom('a', 'b', 'c', 'BTC/USDT', 'x-1');
const topicArb = fc.array(segmentArb, { minLength: 1, maxLength: 5 }).map((s) => s.join('.'));
const patternArb = fc
  .tuple(fc.array(fc.oneof(segmentArb, fc.constant('*')), { minLength: 0, maxLength: 5 }), fc.boolean())
  .filter(([segments, tail]) => segments.length > 0 || tail)
  .map(([segments, tail]) => (tail ? [...segments, '>'] : segments).join('.'));

describe('topic matching', () => {
  it('agrees with a regular-expression reference matcher on every pattern and topic', () => {
    fc.assert(
      fc.property(patternArb, topicArb, (pattern, topic) => {
        expect(topicMatches(pattern, topic)).toBe(referenceMatches(pattern, topic));
      }),
      { numRuns: 5000 },
    );
  });

  it('matches a pattern without wildcards only against the identical topic', () => {
    fc.assert(
      fc.property(topicArb, topicArb, (a, b) => {
        expect(topicMatches(a, b)).toBe(a === b);
      }),
    );
  });

  it('">" needs at least one trailing segment and "*" exactly one', () => {
    expect(topicMatches('data.>', 'data')).toBe(false);
    expect(topicMatches('data.>', 'data.book')).toBe(true);
    expect(topicMatches('data.>', 'data.book.binance.BTCUSDT')).toBe(true);
    expect(topicMatches('data.*', 'data.book.binance')).toBe(false);
    expect(topicMatches('data.*.binance', 'data.book.binance')).toBe(true);
    expect(topicMatches('>', 'anything.at.all')).toBe(true);
    expect(topicMatches('*', 'a.b')).toBe(false);
  });

  it('rejects malformed topics and patterns', () => {
    for (const bad of ['', '.a', 'a.', 'a..b', 'a.*', 'a.>', 'a b', 'a.b*'])
      expect(isValidTopic(bad)).toBe(false);
    for (const bad of ['', 'a..b', '>.a', 'a.>.b', 'a*', 'a.b>', 'a. b'])
      expect(isValidPattern(bad)).toBe(false);
    for (const good of ['a', 'a.*', '*.b', 'a.>', '>', '*.*.>']) expect(isValidPattern(good)).toBe(true);
  });
});
