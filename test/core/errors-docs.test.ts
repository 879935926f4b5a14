import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkConventions,
  denialCodeProblems,
  documentedDenialCodes,
} from '../../scripts/check-conventions.ts';
import { DENIAL_CODES, isDenialCode } from '../../src/model/index.ts';

const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
const allProduced = new Set<string>(DENIAL_CODES);

describe('conventions', () => {
  it('keeps src/ and docs/errors.md in step, dependencies inward, clocks injected, no console in library code', () => {
    expect(checkConventions()).toEqual([]);
  });
});

describe('denial codes', () => {
  it('docs/errors.md documents exactly the closed list, each code once, in the list order', () => {
    expect(documentedDenialCodes(docs)).toEqual([...DENIAL_CODES]);
    expect(new Set(DENIAL_CODES).size).toBe(DENIAL_CODES.length);
    // The two vocabularies stay apart: no denial code is a ConcordError code.
    for (const code of DENIAL_CODES) expect(code.startsWith('CONCORD_ERR_')).toBe(false);
  });

  it('the check flags a listed code missing from the docs, a documented code not in the list, and a listed code nothing produces', () => {
    expect(denialCodeProblems(docs, DENIAL_CODES, allProduced)).toEqual([]);
    const withoutNetEdge = docs.replace(/^### NET_EDGE_BELOW_MIN\n/m, '');
    expect(withoutNetEdge).not.toBe(docs);
    expect(denialCodeProblems(withoutNetEdge, DENIAL_CODES, allProduced)).toEqual([
      expect.stringContaining('NET_EDGE_BELOW_MIN is missing'),
    ]);
    const withExtra = `${docs}\n### MADE_UP_CODE\nNot a real denial.\n`;
    expect(denialCodeProblems(withExtra, DENIAL_CODES, allProduced)).toEqual([
      expect.stringContaining('MADE_UP_CODE is documented but not in DENIAL_CODES'),
    ]);
    const unproduced = new Set(allProduced);
    unproduced.delete('FAIL_CLOSED');
    expect(denialCodeProblems(docs, DENIAL_CODES, unproduced)).toEqual([
      expect.stringContaining('FAIL_CLOSED is listed but nothing in src/ denies with it'),
    ]);
  });

  it('reads only the "Denial codes" section: a heading after the next ## section does not count', () => {
    const after = `${docs}\n## Later section\n\n### MADE_UP_CODE\n`;
    expect(documentedDenialCodes(after)).toEqual([...DENIAL_CODES]);
    expect(denialCodeProblems('# Errors\n', DENIAL_CODES, allProduced)[0]).toContain(
      'no "## Denial codes" section',
    );
  });

  it('isDenialCode accepts exactly the listed codes', () => {
    for (const code of DENIAL_CODES) expect(isDenialCode(code)).toBe(true);
    for (const other of ['CONCORD_ERR_ORDER_PRECISION', 'net_edge_below_min', '', 42, undefined])
      expect(isDenialCode(other)).toBe(false);
  });
});
