/**
 * The catalogue of exchanges behind `concord venues`: every ccxt exchange, built offline
 * (no network call), with its capability summary; first-class exchanges first.
 */
import { FIRST_CLASS, summarise, type VenueSummary } from './capabilities.ts';
import { type CcxtExchange, loadCcxt, unknownExchangeError } from './exchange.ts';

export interface VenueListing {
  readonly ccxt: string;
  readonly venues: readonly VenueSummary[];
}

export interface VenueDescription extends VenueSummary {
  /** ccxt's whole capability map for the exchange, method by method. */
  readonly has: VenueSummary['has'] & Readonly<Record<string, boolean | 'emulated'>>;
}

async function build(id: string): Promise<{ exchange: CcxtExchange; websocket: boolean }> {
  const ccxt = await loadCcxt();
  const websocket = typeof ccxt.pro[id] === 'function';
  const Ctor = (ccxt.pro[id] ?? ccxt[id]) as new (config: unknown) => CcxtExchange;
  return { exchange: new Ctor({}), websocket };
}

/** Every exchange ccxt knows (or only the first-class ones), first-class first, then by id. */
export async function listVenues(options: { firstClassOnly?: boolean } = {}): Promise<VenueListing> {
  const ccxt = await loadCcxt();
  const ids = [...ccxt.exchanges].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const venues: VenueSummary[] = [];
  for (const id of ids) {
    if (options.firstClassOnly === true && !FIRST_CLASS.includes(id)) continue;
    const { exchange, websocket } = await build(id);
    venues.push(summarise(exchange, websocket));
  }
  return { ccxt: ccxt.version, venues };
}

/** One exchange with its full capability map. */
export async function describeVenue(id: string): Promise<VenueDescription> {
  const ccxt = await loadCcxt();
  if (!ccxt.exchanges.includes(id)) throw unknownExchangeError(id, ccxt.exchanges);
  const { exchange, websocket } = await build(id);
  const summary = summarise(exchange, websocket);
  const has: Record<string, boolean | 'emulated'> = {};
  for (const key of Object.keys(exchange.has).sort()) {
    const v = exchange.has[key];
    has[key] = v === 'emulated' ? 'emulated' : v === true;
  }
  return { ...summary, has: { ...summary.has, ...has } };
}

function rank(id: string): number {
  const i = FIRST_CLASS.indexOf(id);
  return i < 0 ? FIRST_CLASS.length : i;
}
