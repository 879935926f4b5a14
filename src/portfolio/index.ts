export * from './portfolio.ts';
export {
  applyTrade,
  averagePrice,
  newPosition,
  type PositionKind,
  type PositionState,
  signedNotional,
  type TradeEffect,
  unrealizedAt,
} from './position.ts';
export {
  type PortfolioSnapshot,
  parsePortfolioSnapshot,
  portfolioSnapshotSchema,
  SNAPSHOT_VERSION,
} from './snapshot.ts';
