/**
 * `concord venues`: the ccxt exchanges and what each supports, first-class first; a
 * one-exchange view with ccxt's whole capability map; usage errors exit 2; colours only
 * on a terminal; and `concord --help` never loads ccxt (no static import of it in src/).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { loadCcxt } from '../../src/venues/ccxt/index.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { captureOut } from '../helpers/out.ts';

interface Row {
  id: string;
  firstClass: boolean;
  websocket: boolean;
  has: Record<string, boolean | 'emulated'>;
}

describe('concord venues', () => {
  it('--json lists every ccxt exchange with its capabilities, Binance, MEXC and Hyperliquid first', async () => {
    const out = captureOut();
    expect(await main(['venues', '--json'], out)).toBe(0);
    const result = JSON.parse(out.stdout.at(-1) as string) as { ccxt: string; venues: Row[] };
    const ccxt = await loadCcxt();
    expect(result.ccxt).toBe(ccxt.version);
    expect(result.venues.map((v) => v.id).sort()).toEqual([...ccxt.exchanges].sort());
    expect(result.venues.slice(0, 3).map((v) => [v.id, v.firstClass])).toEqual([
      ['binance', true],
      ['mexc', true],
      ['hyperliquid', true],
    ]);
    expect(result.venues.filter((v) => v.firstClass)).toHaveLength(3);
    const binance = result.venues[0] as Row;
    expect(binance.websocket).toBe(true);
    expect(binance.has.createOrder).toBe(true);
    expect(binance.has.watchOrders).toBe(true);
    // Straight from ccxt's map: Hyperliquid has a scheduled cancel (the dead-man switch), Binance spot not.
    const hyperliquid = result.venues[2] as Row;
    expect(hyperliquid.has.cancelAllOrdersAfter).toBe(true);
    expect(binance.has.cancelAllOrdersAfter).toBe(false);
  });

  it('prints a table with first-class exchanges marked, and no colour codes off a terminal', async () => {
    const out = captureOut();
    expect(await main(['venues', '--first-class'], out)).toBe(0);
    const text = out.stdout.join('\n');
    expect(out.stdout[0]).toMatch(/^exchange\s+ws\s+order\s+cancel/);
    expect(out.stdout.slice(1, 4).map((l) => l.split(/\s+/)[0])).toEqual([
      '*binance',
      '*mexc',
      '*hyperliquid',
    ]);
    expect(text).toMatch(/3 exchanges \(ccxt /);
    const child = runCli(['venues', '--first-class']);
    expect(child.code).toBe(0);
    expect(child.stdout).not.toContain('\u001b[');
  });

  it('--exchange shows one exchange with the whole of its ccxt capability map', async () => {
    const out = captureOut();
    expect(await main(['venues', '--exchange', 'binance', '--json'], out)).toBe(0);
    const one = JSON.parse(out.stdout.at(-1) as string) as Row & { timeInForce: string[] };
    expect(one.id).toBe('binance');
    expect(one.firstClass).toBe(true);
    expect(Object.keys(one.has).length).toBeGreaterThan(100);
    expect(one.has.fetchOrderTrades).toBe(true);
    expect(one.timeInForce).toEqual(expect.arrayContaining(['IOC', 'FOK', 'PO', 'GTC']));
  });

  it('an unknown exchange is a usage error that suggests close names', async () => {
    const out = captureOut();
    expect(await main(['venues', '--exchange', 'binanz'], out)).toBe(2);
    expect(out.stderr.join('\n')).toMatch(
      /CONCORD_ERR_VENUE_UNKNOWN_EXCHANGE: ccxt has no exchange "binanz"; did you mean binance/,
    );
    const json = captureOut();
    expect(await main(['venues', '--exchange', 'nope', '--json'], json)).toBe(2);
    expect(JSON.parse(json.stdout.at(-1) as string)).toMatchObject({
      ok: false,
      error: { code: 'CONCORD_ERR_VENUE_UNKNOWN_EXCHANGE' },
    });
  });

  it('a stray argument or an unknown flag is a usage error', async () => {
    const stray = captureOut();
    expect(await main(['venues', 'binance'], stray)).toBe(2);
    expect(stray.stderr.join('\n')).toMatch(/unexpected argument "binance"/);
    const flag = captureOut();
    expect(await main(['venues', '--nope'], flag)).toBe(2);
    expect(flag.stderr.join('\n')).toMatch(/CONCORD_ERR_CONFIG_INVALID: unknown flag --nope/);
  });
});

describe('start-up cost: ccxt is loaded only where it is used', () => {
  function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
  }

  it('no file under src/ imports ccxt statically (only a dynamic import(), so `concord --help` never pays for it)', () => {
    const files = walk(join(ROOT, 'src'));
    const statics = files.filter((f) =>
      /^\s*import\s+(?!type\b)[^;]*?from\s+['"]ccxt['"]/m.test(readFileSync(f, 'utf8')),
    );
    expect(statics).toEqual([]);
    const dynamic = files.filter((f) => /import\(\s*['"]ccxt['"]\s*\)/.test(readFileSync(f, 'utf8')));
    expect(dynamic.map((f) => f.slice(ROOT.length + 1))).toEqual(['src/venues/ccxt/exchange.ts']);
  });

  it('main.ts reaches the venues command only through a dynamic import', () => {
    const text = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8');
    expect(text).toMatch(/import\('\.\/venues\.ts'\)/);
    expect(text).not.toMatch(/^import .*venues/m);
  });
});
