/** The parts of the Uniswap V2/V3 and ERC-20 interfaces the EVM venue reads, as typed ABIs. */
import { parseAbi, parseAbiItem } from 'viem';

export const ERC20_ABI = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function symbol() view returns (string)',
]);

export const V2_PAIR_ABI = parseAbi([
  'function token0() view returns (address)',
  'function token1() view returns (address)',
  'function getReserves() view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)',
]);

export const V3_POOL_ABI = parseAbi([
  'function token0() view returns (address)',
  'function token1() view returns (address)',
  'function fee() view returns (uint24)',
  'function tickSpacing() view returns (int24)',
  'function slot0() view returns (uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, uint16 observationCardinality, uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked)',
  'function liquidity() view returns (uint128)',
  'function tickBitmap(int16 wordPosition) view returns (uint256)',
  'function ticks(int24 tick) view returns (uint128 liquidityGross, int128 liquidityNet, uint256 feeGrowthOutside0X128, uint256 feeGrowthOutside1X128, int56 tickCumulativeOutside, uint160 secondsPerLiquidityOutsideX128, uint32 secondsOutside, bool initialized)',
]);

/** Events that change a pool's swap state (and the factories' creation events). */
export const EVENTS_ABI = {
  v2Sync: parseAbiItem('event Sync(uint112 reserve0, uint112 reserve1)'),
  v3Initialize: parseAbiItem('event Initialize(uint160 sqrtPriceX96, int24 tick)'),
  v3Swap: parseAbiItem(
    'event Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)',
  ),
  v3Mint: parseAbiItem(
    'event Mint(address sender, address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)',
  ),
  v3Burn: parseAbiItem(
    'event Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)',
  ),
  pairCreated: parseAbiItem(
    'event PairCreated(address indexed token0, address indexed token1, address pair, uint256 index)',
  ),
  poolCreated: parseAbiItem(
    'event PoolCreated(address indexed token0, address indexed token1, uint24 indexed fee, int24 tickSpacing, address pool)',
  ),
} as const;

export const POOL_EVENTS = [
  EVENTS_ABI.v2Sync,
  EVENTS_ABI.v3Initialize,
  EVENTS_ABI.v3Swap,
  EVENTS_ABI.v3Mint,
  EVENTS_ABI.v3Burn,
  EVENTS_ABI.pairCreated,
  EVENTS_ABI.poolCreated,
] as const;
