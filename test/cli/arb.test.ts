import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  generatePoolSnapshot,
  type SyntheticV2Pool,
} from '../../src/agents/library/dex-arbitrage/synthetic.ts';
import { main } from '../../src/cli/main.ts';
import type { Out } from '../../src/cli/output.ts';
import { getAmountOut } from '../../src/model/amm/index.ts';
import { lastJsonLine, runCli, tempDir } from '../helpers/cli.ts';

function captureOut(): Out & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    tty: false,
    color: false,
    lines,
    errors,
    line: (text = '') => lines.push(text),
    err: (text) => errors.push(text),
    paint: (_code, text) => text,
  };
}

interface JsonCycle {
  path: string[];
  pools: string[];
  amountIn: string;
  amountOut: string;
  profit: string;
}

const token = (n: number, symbol: string, decimals = 18) => ({
  address: `0x${n.toString(16).padStart(40, '0')}`,
  symbol,
  decimals,
});
const pool = (
  n: number,
  t0: ReturnType<typeof token>,
  t1: ReturnType<typeof token>,
  r0: string,
  r1: string,
) => ({
  address: `0x${(0xabc000 + n).toString(16).padStart(40, '0')}`,
  dex: `dex${n}`,
  token0: t0,
  token1: t1,
  reserve0: r0,
  reserve1: r1,
  fee: 3000,
});

describe('concord arb scan', () => {
  let dir: string;
  let snapshot: SyntheticV2Pool[];
  let gz: string;
  beforeAll(() => {
    dir = tempDir('concord-arb-');
    snapshot = generatePoolSnapshot({ pools: 3000, seed: 11 });
    gz = join(dir, 'pools.json.gz');
    writeFileSync(gz, gzipSync(JSON.stringify(snapshot)));
  });

  it('the real binary reads a gzipped snapshot of 3000 pools and prints every profitable cycle as JSON', () => {
    const r = runCli(['arb', 'scan', '--pools', gz, '--base', 'WETH', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { cycles } = lastJsonLine(r.stdout) as { cycles: JsonCycle[] };
    expect(cycles.length).toBeGreaterThan(10);
    const weth = snapshot
      .flatMap((p) => [p.token0, p.token1])
      .find((t) => t.symbol === 'WETH')
      ?.address.toLowerCase();
    const byAddress = new Map(snapshot.map((p) => [p.address.toLowerCase(), p]));
    let previous: bigint | undefined;
    for (const c of cycles) {
      expect(c.path[0]).toBe(weth);
      expect(c.path[c.path.length - 1]).toBe(weth);
      expect(c.pools.length).toBe(c.path.length - 1);
      const profit = BigInt(c.profit);
      expect(profit).toBeGreaterThan(0n);
      if (previous !== undefined) expect(profit <= previous).toBe(true);
      previous = profit;
      // Replay the cycle through the V2 formula on the file's own reserves.
      let amount = BigInt(c.amountIn);
      c.pools.forEach((address, k) => {
        const p = byAddress.get(address) as SyntheticV2Pool;
        const zeroForOne = p.token0.address.toLowerCase() === c.path[k];
        const [rIn, rOut] = zeroForOne ? [p.reserve0, p.reserve1] : [p.reserve1, p.reserve0];
        amount = getAmountOut(amount, BigInt(rIn), BigInt(rOut), p.fee);
      });
      expect(amount.toString()).toBe(c.amountOut);
      expect(BigInt(c.amountOut) - BigInt(c.amountIn)).toBe(profit);
    }
  });

  it('human output names the cycles, and --min-profit filters them', async () => {
    const out = captureOut();
    expect(await main(['arb', 'scan', '--pools', gz, '--base', 'WETH'], out)).toBe(0);
    const text = out.lines.join('\n');
    expect(text).toMatch(/profitable cycles?, most profitable first/);
    expect(text).toMatch(/WETH → \w+ → .*WETH/);
    const all = captureOut();
    await main(['arb', 'scan', '--pools', gz, '--base', 'WETH', '--json'], all);
    const cycles = (JSON.parse(all.lines.at(-1) as string) as { cycles: JsonCycle[] }).cycles;
    const threshold = BigInt((cycles[Math.floor(cycles.length / 2)] as JsonCycle).profit);
    const some = captureOut();
    await main(
      ['arb', 'scan', '--pools', gz, '--base', 'WETH', '--json', '--min-profit', threshold.toString()],
      some,
    );
    const filtered = (JSON.parse(some.lines.at(-1) as string) as { cycles: JsonCycle[] }).cycles;
    expect(filtered.length).toBe(cycles.filter((c) => BigInt(c.profit) >= threshold).length);
    expect(filtered.length).toBeLessThan(cycles.length);
  });

  it('an address works as --base, a shared symbol is refused listing the candidates', async () => {
    const a = token(1, 'WETH');
    const usdc1 = token(2, 'USDC', 6);
    const usdc2 = token(3, 'USDC', 6);
    const file = join(dir, 'ambiguous.json');
    writeFileSync(
      file,
      JSON.stringify([
        pool(1, a, usdc1, '1000000000000000000000', '3000000000000'),
        pool(2, a, usdc1, '1000000000000000000000', '3100000000000'),
        pool(3, a, usdc2, '1000000000000000000000', '3000000000000'),
      ]),
    );
    const out = captureOut();
    expect(await main(['arb', 'scan', '--pools', file, '--base', 'USDC', '--json'], out)).toBe(2);
    const error = (
      JSON.parse(out.lines.at(-1) as string) as { error: { code: string; details: { candidates: string[] } } }
    ).error;
    expect(error.code).toBe('CONCORD_ERR_ARB_BASE_AMBIGUOUS');
    expect(error.details.candidates).toEqual([usdc1.address, usdc2.address]);
    expect(out.errors.join('\n')).toContain(usdc2.address);
    const byAddress = captureOut();
    expect(await main(['arb', 'scan', '--pools', file, '--base', usdc1.address, '--json'], byAddress)).toBe(
      0,
    );
    const cycles = (JSON.parse(byAddress.lines.at(-1) as string) as { cycles: JsonCycle[] }).cycles;
    // The two USDC/WETH pools disagree by 3 %: a profitable 2-hop cycle from USDC.
    expect(cycles.length).toBe(1);
    expect(cycles[0]?.path).toEqual([usdc1.address, a.address, usdc1.address]);
  });

  it('bad snapshots and flags exit 2 with a coded error naming the pool and field', async () => {
    const a = token(1, 'WETH');
    const b = token(2, 'DAI');
    const cases: Array<{ pools: unknown; message: RegExp; code: string }> = [
      {
        pools: [pool(1, a, b, '1', '1'), pool(2, a, b, '12.5', '1')],
        message: /pool 1: reserve0/,
        code: 'CONCORD_ERR_ARB_SNAPSHOT_INVALID',
      },
      {
        pools: [{ ...pool(1, a, b, '1', '1'), fee: 0.003 }],
        message: /pool 0: fee: .*pips/,
        code: 'CONCORD_ERR_ARB_SNAPSHOT_INVALID',
      },
      {
        pools: [pool(1, a, { ...b, address: '0x12' }, '1', '1')],
        message: /pool 0: token1\.address/,
        code: 'CONCORD_ERR_ARB_SNAPSHOT_INVALID',
      },
      {
        pools: [pool(1, a, b, '1', '1'), pool(2, a, { ...b, decimals: 6 }, '1', '1')],
        message: /pool 1: token1: .*DAI with 18 decimals/,
        code: 'CONCORD_ERR_ARB_SNAPSHOT_INVALID',
      },
      {
        pools: [pool(1, a, b, (1n << 112n).toString(), '1')],
        message: /pool 0: reserve0: .*uint112/,
        code: 'CONCORD_ERR_ARB_SNAPSHOT_INVALID',
      },
      { pools: { pools: [] }, message: /list of pools/, code: 'CONCORD_ERR_ARB_SNAPSHOT_INVALID' },
      {
        pools: [pool(1, a, b, '1', '1')],
        message: /no token with symbol "ZZZ"/,
        code: 'CONCORD_ERR_ARB_BASE_UNKNOWN',
      },
    ];
    for (const [i, c] of cases.entries()) {
      const file = join(dir, `bad-${i}.json`);
      writeFileSync(file, JSON.stringify(c.pools));
      const out = captureOut();
      const base = c.code === 'CONCORD_ERR_ARB_BASE_UNKNOWN' ? 'ZZZ' : 'WETH';
      expect(await main(['arb', 'scan', '--pools', file, '--base', base, '--json'], out)).toBe(2);
      const error = (JSON.parse(out.lines.at(-1) as string) as { error: { code: string; message: string } })
        .error;
      expect(error.code).toBe(c.code);
      expect(error.message).toMatch(c.message);
      expect(out.errors.join('\n')).not.toMatch(/\n\s+at /);
    }
    const corrupt = join(dir, 'corrupt.json.gz');
    writeFileSync(corrupt, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    const out = captureOut();
    expect(await main(['arb', 'scan', '--pools', corrupt, '--base', 'WETH'], out)).toBe(2);
    expect(out.errors.join('\n')).toContain('CONCORD_ERR_ARB_SNAPSHOT_READ');
    const flags = captureOut();
    expect(await main(['arb', 'scan', '--pools', gz, '--base', 'WETH', '--min-profit', '1.5'], flags)).toBe(
      2,
    );
    expect(flags.errors.join('\n')).toContain('--min-profit');
    expect(await main(['arb', 'scan', '--base', 'WETH'], captureOut())).toBe(2);
  });
});
