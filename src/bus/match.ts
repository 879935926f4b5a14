/**
 * Topic and pattern syntax, NATS style: dot-separated, non-empty segments.
 * In a subscription pattern `*` matches exactly one segment and `>` (last only)
 * matches one or more trailing segments. Concrete topics contain neither.
 */
import { ConcordError } from '../core/index.ts';

/** Characters that may not appear inside a segment: the separator, wildcards, whitespace. */
export const UNSAFE_SEGMENT_CHARS = /[.*>\s]/;

export function isValidTopic(topic: string): boolean {
  if (topic.length === 0) return false;
  for (const segment of topic.split('.')) {
    if (segment.length === 0 || UNSAFE_SEGMENT_CHARS.test(segment)) return false;
  }
  return true;
}

export function isValidPattern(pattern: string): boolean {
  if (pattern.length === 0) return false;
  const segments = pattern.split('.');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment === '*') continue;
    if (segment === '>') {
      if (i !== segments.length - 1) return false;
      continue;
    }
    if (segment.length === 0 || UNSAFE_SEGMENT_CHARS.test(segment)) return false;
  }
  return true;
}

export function assertTopic(topic: string): void {
  if (!isValidTopic(topic)) {
    throw new ConcordError(
      'CONCORD_ERR_BUS_TOPIC_INVALID',
      `"${topic}" is not a concrete topic: use non-empty dot-separated segments without "*", ">" or spaces; build topics with topics.* from src/bus/topics.ts`,
      { details: { topic } },
    );
  }
}

export function assertPattern(pattern: string): void {
  if (!isValidPattern(pattern)) {
    throw new ConcordError(
      'CONCORD_ERR_BUS_TOPIC_INVALID',
      `"${pattern}" is not a subscription pattern: use non-empty dot-separated segments, "*" for one whole segment, ">" only as the last segment`,
      { details: { pattern } },
    );
  }
}

/** Both arguments already split and valid. */
export function segmentsMatch(pattern: readonly string[], topic: readonly string[]): boolean {
  const last = pattern.length - 1;
  for (let i = 0; i <= last; i++) {
    const p = pattern[i];
    if (p === '>') return topic.length > i;
    if (i >= topic.length) return false;
    if (p !== '*' && p !== topic[i]) return false;
  }
  return topic.length === pattern.length;
}

/** True when the concrete `topic` is delivered to a subscription on `pattern`. */
export function topicMatches(pattern: string, topic: string): boolean {
  return segmentsMatch(pattern.split('.'), topic.split('.'));
}
