/**
 * A small, strict command-line parser: every flag is declared with its type, unknown
 * flags and bad values are errors that name the flag and what was expected
 * (CONCORD_ERR_CONFIG_INVALID), so a typo never starts a desk with defaults.
 */
import { ConcordError } from '../core/index.ts';

export type FlagType = 'string' | 'int' | 'number' | 'boolean' | 'duration' | 'speed' | 'list';

export interface FlagSpec {
  readonly type: FlagType;
  readonly description: string;
  readonly short?: string;
  readonly placeholder?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;
export type ParsedFlags = Record<string, string | number | boolean | string[] | undefined>;

export interface ParsedArgs {
  readonly flags: ParsedFlags;
  readonly positionals: string[];
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Longest duration a flag takes (ten years): simulated time must stay within what dates can show. */
export const MAX_DURATION_MS = 3650 * 86_400_000;
/** A plain decimal number (no hex, no padding, no "Infinity"), as a user types it. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Slowest --speed: slower would stretch one tick into waits longer than a timer can hold. */
export const MIN_SPEED = 0.001;

/** Parses `10m`, `30s`, `1h30m`, `500ms`, `2d`; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    matched += m[0].length;
  }
  return matched === text.length && matched > 0 ? total : undefined;
}

function flagError(flag: string, expected: string, received: unknown): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `flag --${flag}: expected ${expected}, received ${JSON.stringify(received)}`,
    {
      details: { path: `--${flag}`, expected, received },
    },
  );
}

function convert(name: string, spec: FlagSpec, raw: string): string | number | boolean | string[] {
  // No path, id or value Concord takes can hold a NUL (the OS refuses it in a path).
  if (raw.includes('\u0000')) throw flagError(name, 'a value without NUL characters', raw);
  switch (spec.type) {
    case 'string':
      if (raw === '') throw flagError(name, 'a non-empty value', raw);
      return raw;
    case 'list':
      return [raw];
    case 'int': {
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))
        throw flagError(name, 'an integer', raw);
      return Number(raw);
    }
    case 'number': {
      const n = Number(raw);
      if (!DECIMAL.test(raw) || !Number.isFinite(n)) throw flagError(name, 'a number', raw);
      return n;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw flagError(name, 'true or false', raw);
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined || !(ms > 0) || ms > MAX_DURATION_MS)
        throw flagError(name, 'a duration such as 30s, 10m, 1h (at most 3650d)', raw);
      return ms;
    }
    case 'speed': {
      if (raw === 'max') return Number.POSITIVE_INFINITY;
      const text = raw.endsWith('x') ? raw.slice(0, -1) : raw;
      const n = Number(text);
      if (!DECIMAL.test(text) || !Number.isFinite(n) || n < MIN_SPEED)
        throw flagError(name, `"max" or a multiple of real time ≥ ${MIN_SPEED} such as 1, 10, 100`, raw);
      return n;
    }
  }
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const flags: ParsedFlags = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length === 2) {
      name = byShort.get(arg.slice(1));
      if (name === undefined) throw unknownFlag(arg, specs);
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = specs[name];
    if (spec === undefined) throw unknownFlag(`--${name}`, specs);
    if (spec.type === 'boolean' && inline === undefined) {
      flags[name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw flagError(name, `a value (${spec.placeholder ?? spec.type})`, null);
    const value = convert(name, spec, raw);
    if (spec.type === 'list') flags[name] = [...((flags[name] as string[] | undefined) ?? []), raw];
    else flags[name] = value;
  }
  return { flags, positionals };
}

function unknownFlag(flag: string, specs: FlagSpecs): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `unknown flag ${flag}; known flags: ${Object.keys(specs)
      .map((k) => `--${k}`)
      .join(', ')}`,
    {
      details: { path: flag, expected: Object.keys(specs).map((k) => `--${k}`) },
    },
  );
}

export function formatHelp(usage: string, summary: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `  ${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'boolean' ? '' : ` <${s.placeholder ?? s.type}>`}`;
    return `${left.padEnd(34)} ${s.description}`;
  });
  return `${usage}\n\n${summary}\n\nOptions:\n${rows.join('\n')}\n`;
}
