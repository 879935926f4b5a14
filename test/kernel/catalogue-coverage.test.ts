import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS, eventNamed, parsePayload } from '../../src/bus/index.ts';
import { JournalReader, type JournalRecord } from '../../src/journal/index.ts';
import { parseDeskConfig } from '../../src/kernel/config.ts';
import { runDesk } from '../../src/modes/run.ts';
import { tempDir } from '../helpers/cli.ts';

function records(dir: string): JournalRecord[] {
  const reader = JournalReader.open(dir);
  try {
    return [...reader.records()];
  } finally {
    reader.close();
  }
}

describe('the event catalogue against real journals', () => {
  it('declares every record type a sandbox run, its resume and a shadow session write, and their read-back payloads match the schemas', async () => {
    const dir = join(tempDir(), 'journal');
    const config = parseDeskConfig({
      seed: 11,
      journal: { dir },
      shadow: {
        enabled: true,
        candidates: [{ id: 'cand-1', type: 'momentum', config: {} }],
        promotion: { minDecisions: 1, minFills: 0, minDurationMs: 0 },
      },
    });
    const run = { config, durationMs: 2 * 60_000, speed: Number.POSITIVE_INFINITY };
    await runDesk(run);
    // A second run on the same journal resumes it (run.resumed).
    await runDesk(run);

    const shadowRoot = join(dir, 'shadow');
    const journals = [dir, ...readdirSync(shadowRoot).map((id) => join(shadowRoot, id))];
    const seen = new Set<string>();
    for (const journal of journals) {
      for (const r of records(journal)) {
        const event = eventNamed(r.type);
        expect(
          event,
          `record ${r.seq} in ${journal} has type "${r.type}", which the catalogue lacks`,
        ).toBeDefined();
        if (event === undefined) continue;
        seen.add(r.type);
        expect(() => parsePayload(event, r.payload, r.seq)).not.toThrow();
      }
    }
    // The runs exercised the catalogue broadly, including the entries validated on read.
    for (const e of [
      EVENTS.runStart,
      EVENTS.runResumed,
      EVENTS.runEnd,
      EVENTS.market,
      EVENTS.checkpoint,
      EVENTS.trigger,
      EVENTS.decision,
      EVENTS.consensus,
      EVENTS.orderSubmitted,
      EVENTS.orderFilled,
      EVENTS.shadowStart,
      EVENTS.shadowEnd,
      EVENTS.shadowStarted,
      EVENTS.shadowPromotion,
      EVENTS.shadowReport,
    ])
      expect(seen.has(e.name), e.name).toBe(true);
  }, 120_000);
});
