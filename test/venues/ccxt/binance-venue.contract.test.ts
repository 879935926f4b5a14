import { describeVenueContract } from '../venue-contract.ts';
import { binanceHarness, useCleanup } from './harness.ts';

useCleanup();

describeVenueContract('CcxtVenue (ccxt binance, loopback Binance spot server)', () => binanceHarness());
