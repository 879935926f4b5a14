import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EVENT_LIST,
  EVENTS,
  type EventDef,
  eventNamed,
  isValidTopic,
  parsePayload,
  patterns,
  topicMatches,
  topics,
} from '../../src/bus/index.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface DocRow {
  readonly name: string;
  readonly version: number;
  readonly kind: string;
  readonly writers: readonly string[];
  readonly fields: readonly string[];
  readonly line: number;
}

/** Rows of the tables in docs/events.md: | `name` | version | kind | writers | payload |. */
function documentedEvents(text: string): DocRow[] {
  const rows: DocRow[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\|\s*`([^`]+)`\s*\|\s*(\d+)\s*\|\s*(\w+)\s*\|([^|]*)\|(.*)\|\s*$/.exec(line);
    if (m === null) return;
    rows.push({
      name: m[1] as string,
      version: Number(m[2]),
      kind: m[3] as string,
      writers: (m[4] as string)
        .split(',')
        .map((w) => w.trim())
        .filter((w) => w.length > 0),
      fields: [...(m[5] as string).matchAll(/`([A-Za-z]\w*)`/g)].map((f) => f[1] as string),
      line: i + 1,
    });
  });
  return rows;
}

/** Top-level keys a schema accepts (all branches of a union). */
function schemaKeys(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodUnion)
    return [...new Set(schema.options.flatMap((o) => schemaKeys(o as z.ZodType)))];
  throw new Error('catalogue schemas are objects or unions of objects');
}

const docs = documentedEvents(readFileSync(join(ROOT, 'docs', 'events.md'), 'utf8'));

describe('the event catalogue and docs/events.md', () => {
  it('reads the docs table (the parser finds every row)', () => {
    expect(docs.length).toBeGreaterThanOrEqual(45);
    expect(new Set(docs.map((d) => d.name)).size).toBe(docs.length);
  });

  it('documents every catalogue event, with its version and kind', () => {
    const byName = new Map(docs.map((d) => [d.name, d]));
    const missing = EVENT_LIST.filter((e) => !byName.has(e.name)).map((e) => e.name);
    expect(missing, 'catalogue events missing from docs/events.md').toEqual([]);
    for (const e of EVENT_LIST) {
      const row = byName.get(e.name) as DocRow;
      expect({ name: e.name, version: row.version, kind: row.kind }).toEqual({
        name: e.name,
        version: e.version,
        kind: e.kind,
      });
    }
  });

  it('documents nothing the catalogue does not declare', () => {
    const unknown = docs
      .filter((d) => eventNamed(d.name) === undefined)
      .map((d) => `${d.name} (line ${d.line})`);
    expect(unknown, 'docs/events.md rows not in src/bus/catalogue.ts').toEqual([]);
  });

  it('names writer files that exist and name the event from the catalogue', () => {
    for (const row of docs) {
      expect(row.writers.length, row.name).toBeGreaterThan(0);
      const key = eventNamed(row.name)?.key;
      for (const w of row.writers) {
        expect(existsSync(join(ROOT, w)), `${row.name}: ${w}`).toBe(true);
        const text = readFileSync(join(ROOT, w), 'utf8');
        expect(new RegExp(`\\bEVENTS\\.${key}\\b`).test(text), `${w} does not name EVENTS.${key}`).toBe(true);
      }
    }
  });

  it("lists exactly a schema's fields for the events validated on read", () => {
    const withSchema = EVENT_LIST.filter((e) => e.schema !== undefined);
    expect(withSchema.length).toBeGreaterThan(0);
    for (const e of withSchema) {
      const row = docs.find((d) => d.name === e.name) as DocRow;
      expect([...new Set(row.fields)].sort(), e.name).toEqual(schemaKeys(e.schema as z.ZodType).sort());
    }
  });
});

describe('the event catalogue', () => {
  it('has one entry per name, found by name, each with a one-line description', () => {
    expect(new Set(EVENT_LIST.map((e) => e.name)).size).toBe(EVENT_LIST.length);
    for (const e of EVENT_LIST) {
      expect(eventNamed(e.name)).toBe(e);
      expect(EVENTS[e.key]).toBe(e);
      expect(e.doc.length, e.name).toBeGreaterThan(10);
      expect(e.doc, e.name).not.toContain('\n');
      expect(['input', 'output']).toContain(e.kind);
      expect(Number.isInteger(e.version) && e.version >= 1, e.name).toBe(true);
    }
    expect(eventNamed('no.such-event')).toBeUndefined();
  });

  it('keeps the journal record types of existing journals (renaming one breaks replay of old journals)', () => {
    expect(EVENTS.decision.name).toBe('decision');
    expect(EVENTS.market.name).toBe('market');
    expect(EVENTS.orderFilled.name).toBe('order.filled');
    expect(EVENTS.riskTradingState.name).toBe('risk.trading-state');
    expect(EVENTS.runStart.name).toBe('run.start');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(EVENTS)).toBe(true);
    expect(Object.isFrozen(EVENTS.decision)).toBe(true);
  });

  it('derives bus topics and patterns from the entries', () => {
    for (const e of EVENT_LIST) {
      expect(isValidTopic(topics.event(e)), e.name).toBe(true);
      expect(topicMatches(patterns.everything, topics.event(e))).toBe(true);
      expect(topicMatches(patterns.event(e), topics.event(e))).toBe(true);
    }
    expect(topics.event(EVENTS.orderFilled)).toBe('order.filled');
    expect(topicMatches(patterns.events('order'), topics.event(EVENTS.orderDenied))).toBe(true);
    expect(topicMatches(patterns.events('order'), topics.event(EVENTS.planStarted))).toBe(false);
    expect(topicMatches(patterns.event(EVENTS.orderFilled), topics.event(EVENTS.orderDenied))).toBe(false);
  });
});

describe('parsePayload (payloads read back from a journal)', () => {
  it('returns a valid payload', () => {
    const halt = parsePayload(EVENTS.riskHalt, { reason: 'drill', flatten: true, operator: null });
    expect(halt).toEqual({ reason: 'drill', flatten: true, operator: null });
    const resumed = parsePayload(EVENTS.runResumed, {
      fromSeq: 40,
      checkpointTs: null,
      crashed: true,
      tailApplied: 3,
      startTs: 5,
      positions: [],
      trust: {},
    });
    expect(resumed.startTs).toBe(5);
    expect(resumed.seed).toBeUndefined();
  });

  it('refuses a payload that does not match, naming the record and the field', () => {
    const bad = () => parsePayload(EVENTS.riskHalt, { reason: 'drill', flatten: 'yes', operator: null }, 42);
    expect(bad).toThrow(
      expect.objectContaining({
        code: 'CONCORD_ERR_EVENT_PAYLOAD_INVALID',
        details: expect.objectContaining({ type: 'risk.halt', seq: 42, path: 'flatten' }),
      }),
    );
    expect(() => parsePayload(EVENTS.agentTimeout, null)).toThrow(
      expect.objectContaining({ code: 'CONCORD_ERR_EVENT_PAYLOAD_INVALID' }),
    );
  });

  it('passes through payloads of events without a schema (their readers validate them)', () => {
    const payload = { anything: 1 };
    expect(parsePayload(EVENTS.checkpoint as EventDef, payload)).toBe(payload);
  });
});
