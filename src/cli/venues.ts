/**
 * `concord venues [--exchange <id>] [--first-class] [--json]`: the exchanges Concord
 * reaches through ccxt and what each supports, read from ccxt's own capability map
 * (`has`: yes, no or emulated per unified method) and its time-in-force features.
 * Binance, MEXC and Hyperliquid (first-class: tested against loopback servers speaking
 * their wire format) come first. No network: instances are built offline. ccxt is
 * loaded only when this command runs. Exit 0, or 2 for bad flags or an unknown exchange.
 */
import { isConcordError, toConcordError } from '../core/index.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import type { Out } from './output.ts';

const EXIT = { ok: 0, usage: 2, runtime: 3 } as const;

const FLAGS: FlagSpecs = {
  exchange: {
    type: 'string',
    description: "one exchange, with every capability in ccxt's map",
    placeholder: 'id',
  },
  'first-class': { type: 'boolean', description: 'only Binance, MEXC and Hyperliquid' },
  json: { type: 'boolean', description: 'the last line of output is one JSON object {ccxt, venues: [...]}' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const USAGE = 'Usage: concord venues [--exchange <id>] [--first-class] [--json]';

/** Short column names for the capabilities of the table, in order. */
const COLUMNS: readonly [method: string, title: string][] = [
  ['createOrder', 'order'],
  ['cancelOrder', 'cancel'],
  ['fetchOpenOrders', 'open'],
  ['fetchMyTrades', 'fills'],
  ['fetchBalance', 'bal'],
  ['fetchPositions', 'pos'],
  ['watchOrderBook', 'wsBook'],
  ['watchTrades', 'wsTrades'],
  ['watchOrders', 'wsOrders'],
  ['watchMyTrades', 'wsFills'],
  ['cancelAllOrdersAfter', 'deadman'],
];

const INPUT_ERRORS = new Set(['CONCORD_ERR_CONFIG_INVALID', 'CONCORD_ERR_VENUE_UNKNOWN_EXCHANGE']);

export async function venuesCommand(argv: readonly string[], out: Out): Promise<number> {
  const json = argv.includes('--json');
  try {
    const { flags, positionals } = parseArgs(argv, FLAGS);
    if (flags.help) {
      out.line(
        formatHelp(
          USAGE,
          "Lists the exchanges Concord reaches through ccxt and what each supports, from ccxt's capability map (yes, no, or emulated by ccxt). First-class exchanges (*) come first.",
          FLAGS,
        ),
      );
      return EXIT.ok;
    }
    if (positionals.length > 0) {
      out.err(`concord venues: unexpected argument ${JSON.stringify(positionals[0])}\n${USAGE}`);
      return EXIT.usage;
    }
    const { listVenues, describeVenue } = await import('../venues/ccxt/listing.ts');
    if (typeof flags.exchange === 'string') {
      const one = await describeVenue(flags.exchange);
      if (json) out.line(JSON.stringify(one));
      else printOne(out, one);
      return EXIT.ok;
    }
    const listing = await listVenues({ firstClassOnly: flags['first-class'] === true });
    if (json) out.line(JSON.stringify(listing));
    else printTable(out, listing);
    return EXIT.ok;
  } catch (err) {
    const e = toConcordError(err);
    if (json) out.line(JSON.stringify({ ok: false, error: e.toJSON() }));
    out.err(`${out.paint('red', 'error')} ${e.code}: ${e.shortMessage}`);
    out.err(`see ${e.docsPath}`);
    return isConcordError(e) && INPUT_ERRORS.has(e.code) ? EXIT.usage : EXIT.runtime;
  }
}

type Listing = Awaited<ReturnType<typeof import('../venues/ccxt/listing.ts').listVenues>>;
type One = Awaited<ReturnType<typeof import('../venues/ccxt/listing.ts').describeVenue>>;

function cell(out: Out, value: boolean | 'emulated' | undefined, width: number): string {
  const text = value === true ? 'yes' : value === 'emulated' ? 'emu' : '-';
  const padded = text.padEnd(width);
  return value === true
    ? out.paint('green', padded)
    : value === 'emulated'
      ? out.paint('yellow', padded)
      : out.paint('dim', padded);
}

function printTable(out: Out, listing: Listing): void {
  const idWidth = Math.max(8, ...listing.venues.map((v) => v.id.length + 2));
  const header = [
    'exchange'.padEnd(idWidth),
    'ws'.padEnd(4),
    ...COLUMNS.map(([, t]) => t.padEnd(Math.max(4, t.length + 1))),
  ];
  out.line(out.paint('bold', header.join(' ').trimEnd()));
  for (const v of listing.venues) {
    const name = `${v.firstClass ? '*' : ' '}${v.id}`.padEnd(idWidth);
    const row = [
      v.firstClass ? out.paint('bold', name) : name,
      cell(out, v.websocket, 4),
      ...COLUMNS.map(([m, t]) => cell(out, v.has[m as keyof typeof v.has], Math.max(4, t.length + 1))),
    ];
    out.line(row.join(' ').trimEnd());
  }
  out.line('');
  out.line(
    `${listing.venues.length} exchanges (ccxt ${listing.ccxt}); * first-class: tested against a loopback server speaking its wire format. "emu": emulated by ccxt. deadman = cancelAllOrdersAfter.`,
  );
}

function printOne(out: Out, one: One): void {
  out.line(out.paint('bold', `${one.id} (${one.name})${one.firstClass ? ' — first-class' : ''}`));
  out.line(`websocket: ${one.websocket ? 'yes' : 'no'}; time in force: ${one.timeInForce.join(', ') || '-'}`);
  const width = Math.max(...Object.keys(one.has).map((k) => k.length));
  for (const [method, value] of Object.entries(one.has))
    out.line(`  ${method.padEnd(width)}  ${cell(out, value, 4).trimEnd()}`);
}
