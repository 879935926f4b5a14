/**
 * Writes a deterministic synthetic pool snapshot for `concord arb scan` (format: docs/arbitrage.md).
 *
 *   npx tsx scripts/gen-pools.ts --out pools.json.gz [--pools 3000] [--seed 1]
 *
 * Gzipped when the name ends in .gz.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { generatePoolSnapshot } from '../src/agents/library/dex-arbitrage/synthetic.ts';

function flag(name: string, fallback?: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const out = flag('out');
const pools = Number(flag('pools', '3000'));
const seed = Number(flag('seed', '1'));
if (out === undefined || !Number.isInteger(pools) || pools < 1 || !Number.isInteger(seed)) {
  process.stderr.write('usage: npx tsx scripts/gen-pools.ts --out <file[.gz]> [--pools 3000] [--seed 1]\n');
  process.exit(2);
}
const text = `${JSON.stringify(generatePoolSnapshot({ pools, seed }))}\n`;
writeFileSync(out, out.endsWith('.gz') ? gzipSync(text) : text);
process.stdout.write(`wrote ${pools} pools to ${out}\n`);
