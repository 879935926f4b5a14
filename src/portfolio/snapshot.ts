/**
 * The portfolio's persisted form. It comes back from storage (the journal), so it is
 * schema-checked on the way in; Decimals travel as strings.
 */
import { z } from 'zod';
import { ConcordError, Decimal } from '../core/index.ts';

export const SNAPSHOT_VERSION = 1;

const decimalString = z
  .string()
  .refine((s) => Decimal.tryFrom(s) !== undefined, 'a decimal string such as "12.5"');
const finite = z.number().finite();

const positionSchema = z.object({
  instrumentId: z.string().min(1),
  venue: z.string().min(1),
  kind: z.enum(['spot', 'perpetual', 'future']),
  base: z.string(),
  quote: z.string(),
  multiplier: decimalString,
  quantity: decimalString,
  costBasis: decimalString,
  realizedPnl: decimalString,
  fees: decimalString,
  funding: decimalString,
  trades: z.number().int().nonnegative(),
  lastPrice: finite,
  mark: finite.positive().nullable(),
  lastFundingTs: finite.nullable(),
});

export const portfolioSnapshotSchema = z.object({
  version: z.literal(SNAPSHOT_VERSION),
  cashAssets: z.array(z.string()),
  dailyResetUtcMinute: z.number().int().min(0).max(1439),
  positions: z.array(positionSchema),
  balances: z.array(z.object({ venue: z.string(), asset: z.string(), amount: decimalString })),
  assetPrices: z.array(z.object({ key: z.string(), price: finite.positive() })),
  agents: z.array(
    z.object({
      agentId: z.string(),
      realizedPnl: decimalString,
      fees: decimalString,
      trades: z.number().int().nonnegative(),
    }),
  ),
  seenTrades: z.array(z.string()),
  duplicates: z.number().int().nonnegative(),
  fees: decimalString,
  peakEquity: finite.nullable(),
  dayKey: z.number().int().nullable(),
  dayStartPnl: decimalString,
});

export type PortfolioSnapshot = z.infer<typeof portfolioSnapshotSchema>;

export function parsePortfolioSnapshot(raw: unknown): PortfolioSnapshot {
  const result = portfolioSnapshotSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue === undefined ? '' : issue.path.map(String).join('.');
  throw new ConcordError(
    'CONCORD_ERR_PORTFOLIO_SNAPSHOT_INVALID',
    `portfolio snapshot is invalid at "${path}": ${issue?.message ?? 'unknown problem'}; rebuild it from the journal's fills`,
    { details: { path, expected: issue?.message ?? '', issues: result.error.issues.length } },
  );
}
