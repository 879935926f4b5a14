/**
 * Fuzz: desk config files. Random bytes, random JSON, and valid configs (the defaults, every
 * section filled with its defaults, the README's and docs' examples) mutated at a random field:
 * each must load and validate, or get CONCORD_ERR_CONFIG_INVALID (or NOT_FOUND) naming a field
 * of the section that was mutated, once (never `risk.risk.…`). Reserved keys must be refused at
 * the exact path. A sample of the accepted mutants runs a short sandbox desk in process.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isConcordError } from '../../src/core/index.ts';
import {
  DEFAULT_AGENTS,
  type DeskConfig,
  loadDeskConfig,
  parseDeskConfig,
  resolveSafety,
  validateDeskConfig,
} from '../../src/kernel/index.ts';
import { runDesk } from '../../src/modes/index.ts';
import { parseOrchestratorConfig } from '../../src/orchestrator/index.ts';
import { parseRiskConfig } from '../../src/risk/config.ts';
import { parseSafetyConfig } from '../../src/risk/safety-config.ts';
import { ROOT, tempDir } from '../helpers/cli.ts';
import { outcomeOf, outcomeOfAsync, runs, Tally, within } from './harness.ts';

const SECTIONS = [
  'mode',
  'seed',
  'startTime',
  'journal',
  'market',
  'venues',
  'agents',
  'orchestrator',
  'risk',
  'safety',
  'shadow',
  'execution',
  'live',
];

function docExamples(): unknown[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const shadow = readFileSync(join(ROOT, 'docs', 'shadow.md'), 'utf8');
  const readmeConfig = JSON.parse(/```json\n([\s\S]*?)```/.exec(readme)?.[1] ?? '{}');
  const shadowSection = JSON.parse(`{${/```json\n([\s\S]*?)```/.exec(shadow)?.[1] ?? ''}}`);
  return [readmeConfig, shadowSection];
}

/** Valid configs to mutate (as JSON, as a user writes them): small ones and ones with every field written out. */
const BASES: unknown[] = (
  [
    {},
    JSON.parse(JSON.stringify({ ...parseDeskConfig({}), safety: undefined })),
    { safety: parseSafetyConfig({}) },
    { risk: parseRiskConfig({}), orchestrator: parseOrchestratorConfig({}) },
    {
      agents: [
        ...DEFAULT_AGENTS,
        { id: 'sma', type: 'sma-cross', config: { fast: 10, slow: 30 } },
        { id: 'basis', type: 'spot-perp-basis', config: {} },
      ],
    },
    ...docExamples(),
  ] as unknown[]
).map((base) => JSON.parse(JSON.stringify(base)));

const SPECIAL_VALUES = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  0.5,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  '',
  'abc',
  'NaN',
  'Infinity',
  '1e309',
  '0x10',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  [],
  {},
  [null],
  { default: 'x' },
];

type Path = Array<string | number>;

function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) pathsOf(v, [...path, i], out);
  } else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, k], out);
  return out;
}

function at(value: unknown, path: Path): unknown {
  let v = value;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v;
}

type Mutation =
  | { kind: 'replace'; value: unknown }
  | { kind: 'delete' }
  | { kind: 'add'; key: string; value: unknown };

function mutate(base: unknown, path: Path, m: Mutation): unknown {
  if (path.length === 0) {
    if (m.kind === 'replace') return m.value;
    if (m.kind === 'delete') return {};
  }
  const copy = structuredClone(base);
  if (m.kind === 'add') {
    const target = at(copy, path) as Record<string, unknown>;
    // defineProperty: a plain assignment of `__proto__` would change the prototype, not add a key.
    Object.defineProperty(target, m.key, {
      value: m.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return copy;
  }
  const parent = at(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1] as string | number;
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else parent[key] = m.value;
  return copy;
}

const dir = tempDir('concord-fuzz-config-');
const file = join(dir, 'desk.json');

/** Loads and validates a config file as the CLI does; returns the outcome and the error's path. */
function load(text: string | Uint8Array): { outcome: string; path?: string; config?: DeskConfig } {
  writeFileSync(file, text);
  let config: DeskConfig | undefined;
  let path: string | undefined;
  const outcome = outcomeOf(() => {
    try {
      config = loadDeskConfig(file);
      validateDeskConfig(config, file);
      // The desk resolves its limits itself too (its errors reach users who skip validation).
      resolveSafety(config);
    } catch (err) {
      if (isConcordError(err)) path = typeof err.details.path === 'string' ? err.details.path : undefined;
      config = undefined;
      throw err;
    }
  });
  return { outcome, path, config };
}

const CONFIG_CODES = new Set(['ok', 'CONCORD_ERR_CONFIG_INVALID']);
const DOUBLED = /^(journal|market|venues|agents|orchestrator|risk|safety|shadow|execution|live)\.\1(\.|$)/;

const tallies: Tally[] = [];
afterAll(() => {
  for (const t of tallies) t.report();
  rmSync(dir, { recursive: true, force: true });
});

describe('fuzz: config files', () => {
  it('random bytes (with and without a BOM) get a coded answer', () => {
    const tally = new Tally('config: random bytes');
    tallies.push(tally);
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 400 }), (bom, bytes) => {
        const text = bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
        const { outcome } = load(text);
        tally.add(outcome);
        expect(CONFIG_CODES.has(outcome), outcome).toBe(true);
      }),
      runs(1000, 4000),
    );
  });

  it('random JSON (any value, and objects over the real section names) gets a coded answer', () => {
    const tally = new Tally('config: random JSON');
    tallies.push(tally);
    const sectioned = fc.dictionary(fc.constantFrom(...SECTIONS, 'venuez', '__proto__'), fc.jsonValue(), {
      maxKeys: 4,
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), sectioned), (value) => {
        const { outcome, path } = load(JSON.stringify(value) ?? 'null');
        tally.add(outcome);
        expect(CONFIG_CODES.has(outcome), outcome).toBe(true);
        if (outcome !== 'ok') expect(path ?? '').not.toMatch(DOUBLED);
        // Only an object is a config: null, numbers, strings and arrays never run with defaults.
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          expect(outcome).not.toBe('ok');
      }),
      runs(1000, 5000),
    );
  });

  const accepted: unknown[] = [];

  it('mutated valid configs: refused naming a field of the mutated section once, or accepted', () => {
    const tally = new Tally('config: mutated valid configs');
    tallies.push(tally);
    for (const base of BASES) {
      const baseline = load(JSON.stringify(base));
      expect(baseline.outcome, `${baseline.path}: ${JSON.stringify(base)}`).toBe('ok');
    }
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({
        kind: fc.constant('replace' as const),
        value: fc.oneof(fc.constantFrom(...SPECIAL_VALUES), fc.jsonValue({ maxDepth: 2 })),
      }),
      fc.constant({ kind: 'delete' as const }),
      fc.record({
        kind: fc.constant('add' as const),
        key: fc.oneof(
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'zz'),
          fc.string({ maxLength: 8 }),
        ),
        value: fc.oneof(fc.constantFrom(...SPECIAL_VALUES), fc.jsonValue({ maxDepth: 1 })),
      }),
    );
    fc.assert(
      fc.property(fc.nat(BASES.length - 1), fc.nat(), mutation, (b, p, m) => {
        const base = BASES[b];
        const candidates =
          m.kind === 'add'
            ? pathsOf(base).filter((q) => {
                const v = at(base, q);
                return typeof v === 'object' && v !== null && !Array.isArray(v);
              })
            : pathsOf(base);
        const path = candidates[p % candidates.length] as Path;
        const mutant = mutate(base, path, m);
        const { outcome, path: errorPath, config } = load(JSON.stringify(mutant) ?? 'null');
        tally.add(outcome);
        expect(CONFIG_CODES.has(outcome), outcome).toBe(true);
        if (m.kind === 'add' && ['__proto__', 'constructor', 'prototype'].includes(m.key)) {
          expect(outcome).toBe('CONCORD_ERR_CONFIG_INVALID');
          expect(errorPath).toBe([...path, m.key].join('.'));
        }
        if (outcome !== 'ok') {
          expect(typeof errorPath).toBe('string');
          expect(errorPath).not.toMatch(DOUBLED);
          // The error points into the section that was changed (a root change may point anywhere).
          if (path.length > 0 && errorPath !== '')
            expect((errorPath as string).split('.')[0], `${errorPath} after changing ${path.join('.')}`).toBe(
              String(path[0]),
            );
        } else if (accepted.length < 200 && JSON.stringify(mutant) !== JSON.stringify(base))
          accepted.push(config);
      }),
      runs(2000, 8000),
    );
  });

  it('accepted mutants run a short sandbox desk: a summary or a coded error, never a crash or a hang', async () => {
    const tally = new Tally('config: accepted mutants run');
    tallies.push(tally);
    const sample = accepted.slice(0, Math.round(12 * Number(process.env.CONCORD_FUZZ_SCALE ?? 1)));
    for (const [i, config] of sample.entries()) {
      const raw = config as DeskConfig;
      const outcome = await within(
        60_000,
        `desk with mutant config ${i}`,
        outcomeOfAsync(() =>
          runDesk({
            config: { ...raw, mode: 'sandbox', journal: { ...raw.journal, dir: join(dir, `run-${i}`) } },
            durationMs: 3000,
            speed: Number.POSITIVE_INFINITY,
          }),
        ),
      );
      tally.add(outcome);
    }
    expect(tally.inputs).toBe(sample.length);
  }, 300_000);
});
