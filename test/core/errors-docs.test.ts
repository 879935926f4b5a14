import { describe, expect, it } from 'vitest';
import { checkConventions } from '../../scripts/check-conventions.ts';

describe('conventions', () => {
  it('keeps src/ and docs/errors.md in step, dependencies inward, clocks injected, no console in library code', () => {
    expect(checkConventions()).toEqual([]);
  });
});
