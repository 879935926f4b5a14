/**
 * `concord arb scan --pools <file[.gz]> --base <symbol|address> [--min-profit n] [--max-hops 2|3] [--json]`:
 * every profitable 2- and 3-hop cycle from the base token in a pool snapshot, with its optimal
 * input, output and profit (integers in the base token's smallest unit). Exit 0 when the scan
 * ran (profitable cycles or none), 2 for bad flags or a bad snapshot, 3 for anything else.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ArbitrageGraph, type CycleOpportunity } from '../agents/library/dex-arbitrage/graph.ts';
import {
  parsePoolSnapshot,
  resolveBaseToken,
  type TokenInfo,
} from '../agents/library/dex-arbitrage/snapshot.ts';
import { ConcordError, isConcordError, monotonicNs, toConcordError } from '../core/index.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import type { Out } from './output.ts';

const EXIT = { ok: 0, usage: 2, runtime: 3 } as const;
const CLI_SCAN_LIMIT = 1 << 16;
const INPUT_ERRORS = new Set([
  'CONCORD_ERR_CONFIG_INVALID',
  'CONCORD_ERR_ARB_SNAPSHOT_READ',
  'CONCORD_ERR_ARB_SNAPSHOT_INVALID',
  'CONCORD_ERR_ARB_BASE_UNKNOWN',
  'CONCORD_ERR_ARB_BASE_AMBIGUOUS',
]);

const SCAN_FLAGS: FlagSpecs = {
  pools: {
    type: 'string',
    description: 'pool snapshot, JSON or gzipped JSON (required)',
    placeholder: 'file',
  },
  base: {
    type: 'string',
    description: 'token the cycles start and end in: symbol or 0x address (required)',
    placeholder: 'token',
  },
  'min-profit': {
    type: 'string',
    description: "smallest profit shown, in the base token's smallest unit (default 1)",
    placeholder: 'int',
  },
  'max-hops': {
    type: 'int',
    description: '2 (same pair on two pools) or 3 (default: both)',
    placeholder: '2|3',
  },
  json: { type: 'boolean', description: 'the last line of output is one JSON object {cycles: [...]}' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

function flagError(flag: string, expected: string, received: unknown): ConcordError {
  return new ConcordError(
    'CONCORD_ERR_CONFIG_INVALID',
    `flag --${flag}: expected ${expected}, received ${JSON.stringify(received)}`,
    {
      details: { path: `--${flag}`, expected, received },
    },
  );
}

/** Reads a snapshot file, gunzipping it when it starts with the gzip magic bytes. */
export function readPoolFile(path: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConcordError('CONCORD_ERR_ARB_SNAPSHOT_READ', `cannot read the pool snapshot ${path}`, {
      details: { path, reason: (err as NodeJS.ErrnoException).code ?? String(err) },
    });
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new ConcordError('CONCORD_ERR_ARB_SNAPSHOT_READ', `${path} is not a valid gzip stream`, {
        details: { path, reason: err instanceof Error ? err.message : String(err) },
      });
    }
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ConcordError('CONCORD_ERR_ARB_SNAPSHOT_READ', `${path} is not JSON`, {
      details: { path, reason: err instanceof Error ? err.message : String(err) },
    });
  }
}

/** `amount` smallest units as a decimal number of tokens, trailing zeros trimmed. */
export function formatUnits(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

export async function arbCommand(argv: readonly string[], out: Out): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'scan') return scanCommand(rest, out);
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out.line('Usage: concord arb scan --pools <file[.gz]> --base <symbol|address> [--min-profit n] [--json]');
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  out.err(`concord arb: unknown subcommand ${JSON.stringify(sub)}; expected "scan"`);
  return EXIT.usage;
}

async function scanCommand(argv: readonly string[], out: Out): Promise<number> {
  const json = argv.includes('--json');
  try {
    const { flags, positionals } = parseArgs(argv, SCAN_FLAGS);
    if (flags.help) {
      out.line(
        formatHelp(
          'Usage: concord arb scan --pools <file[.gz]> --base <symbol|address> [--min-profit n] [--max-hops 2|3] [--json]',
          'Prints every profitable 2- and 3-hop cycle from the base token in a pool snapshot (format: docs/arbitrage.md), with the optimal input, output and profit in the base token.',
          SCAN_FLAGS,
        ),
      );
      return EXIT.ok;
    }
    if (positionals.length > 0) throw flagError('pools', 'flags only', positionals[0]);
    if (typeof flags.pools !== 'string') throw flagError('pools', 'a snapshot file', null);
    if (typeof flags.base !== 'string') throw flagError('base', 'a token symbol or 0x address', null);
    const minProfitText = flags['min-profit'] ?? '1';
    if (typeof minProfitText !== 'string' || !/^\d{1,78}$/.test(minProfitText) || BigInt(minProfitText) < 1n)
      throw flagError('min-profit', 'a positive integer in the base token smallest unit', minProfitText);
    const maxHops = flags['max-hops'] ?? 3;
    if (maxHops !== 2 && maxHops !== 3) throw flagError('max-hops', '2 or 3', maxHops);

    const snapshot = parsePoolSnapshot(readPoolFile(flags.pools));
    const base = resolveBaseToken(snapshot.tokens, flags.base);
    const started = monotonicNs();
    // A generous scan bound: a one-off scan can afford to prove (nearly) every optimum exact.
    const graph = new ArbitrageGraph(snapshot.pools, base.address, {
      maxHops,
      minProfit: BigInt(minProfitText),
      scanLimit: CLI_SCAN_LIMIT,
    });
    const cycles = graph.scan();
    const ms = Number(monotonicNs() - started) / 1e6;

    if (!json) printHuman(out, cycles, snapshot.tokens, snapshot.dexOf, base, graph, ms);
    else
      out.line(
        JSON.stringify({
          cycles: cycles.map((c) => ({
            path: c.path,
            pools: c.pools,
            amountIn: c.amountIn.toString(),
            amountOut: c.amountOut.toString(),
            profit: c.profit.toString(),
          })),
        }),
      );
    return EXIT.ok;
  } catch (err) {
    const e = toConcordError(err);
    if (json) out.line(JSON.stringify({ ok: false, error: e.toJSON() }));
    out.err(`${out.paint('red', 'error')} ${e.code}: ${e.shortMessage}`);
    out.err(`see ${e.docsPath}`);
    return isConcordError(e) && INPUT_ERRORS.has(e.code) ? EXIT.usage : EXIT.runtime;
  }
}

function printHuman(
  out: Out,
  cycles: readonly CycleOpportunity[],
  tokens: ReadonlyMap<string, TokenInfo>,
  dexOf: ReadonlyMap<string, string>,
  base: TokenInfo,
  graph: ArbitrageGraph,
  ms: number,
): void {
  const symbol = (a: string) => tokens.get(a)?.symbol ?? a;
  const amount = (v: bigint) => `${formatUnits(v, base.decimals)} ${base.symbol}`;
  out.line(
    `${graph.poolCount} pools, ${tokens.size} tokens; base ${base.symbol} (${base.address}); ${graph.cycleCount} cycles checked in ${ms.toFixed(1)} ms`,
  );
  if (cycles.length === 0) {
    out.line('no profitable cycle');
    return;
  }
  out.line(
    out.paint(
      'bold',
      `${cycles.length} profitable cycle${cycles.length === 1 ? '' : 's'}, most profitable first:`,
    ),
  );
  cycles.forEach((c, i) => {
    // "≈": the refinement stopped at its step bound; gap = proven bound on the shortfall (smallest units).
    const approx = c.exact ? '' : c.gap === undefined ? ' ≈ (numeric)' : ` ≈ (within ${c.gap})`;
    out.line(
      `#${i + 1} profit ${out.paint('green', amount(c.profit))}${approx}  in ${amount(c.amountIn)}  out ${amount(c.amountOut)}`,
    );
    out.line(`   ${c.path.map(symbol).join(' → ')}`);
    out.line(`   via ${c.pools.map((p) => `${dexOf.get(p) ?? '?'} ${p}`).join(', ')}`);
    out.line(`   raw: in ${c.amountIn} out ${c.amountOut} profit ${c.profit}`);
  });
}
