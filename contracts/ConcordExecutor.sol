// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ConcordExecutor
/// @notice Runs one multi-hop swap path through Uniswap V2-style pairs and V3-style pools
/// atomically, paying from this contract's own balance, and reverts unless the contract ends the
/// call holding at least `minProfit` more of the path's first token than it held before.
/// @dev Design and threat model: docs/adr/0011-executor-contract.md.
///  - Only the owner (fixed at deployment) may call `execute` and `withdraw`.
///  - No callback is accepted except `uniswapV3SwapCallback` from the very pool this contract is
///    swapping with at that moment (kept in transient storage, cleared on first use).
///  - Amounts of V2 hops are computed here from the pair's reserves, exactly as the pair checks
///    them; the whole path is bounded by the final balance check (the slippage bound).
contract ConcordExecutor {
    /// One swap of the path. `tokenIn` is the token the hop sells; the first hop's is the base token.
    struct Hop {
        address pool;
        address tokenIn;
        /// True for a concentrated-liquidity (V3-style) pool, false for a constant-product pair.
        bool v3;
        /// True when the hop sells the pool's token0.
        bool zeroForOne;
        /// V2 only: the pair's fee in pips (3000 = 0.30 %); ignored for V3 pools.
        uint24 fee;
        /// V3 only: the price limit of the swap; 0 for none.
        uint160 sqrtPriceLimitX96;
    }

    address public immutable owner;

    /// The V3 pool whose swap callback is awaited; zero when none is.
    address private transient expectedPool;

    uint160 private constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 private constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;
    uint256 private constant PIPS = 1_000_000;

    error NotOwner(address caller);
    error ZeroOwner();
    error EmptyPath();
    error Expired(uint256 deadlineBlock, uint256 blockNumber);
    error AmountTooLarge(uint256 amount);
    error ZeroOutput(uint256 hop);
    error InsufficientProfit(uint256 balanceBefore, uint256 balanceAfter, uint256 minProfit);
    error UnexpectedCallback(address caller);
    error CallbackAmount(int256 amount0Delta, int256 amount1Delta, uint256 maxIn);
    error TokenCallFailed(address token);

    constructor(address owner_) {
        if (owner_ == address(0)) revert ZeroOwner();
        owner = owner_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Swaps `amountIn` of `hops[0].tokenIn` along `hops` and checks the profit.
    /// @param amountIn Input of the first hop, taken from this contract's balance.
    /// @param hops The path; each hop's output is the next hop's input.
    /// @param minProfit Least gain of the first token's balance; below it the call reverts.
    /// @param deadlineBlock Last block in which the call may run.
    /// @return profit Gain of the first token's balance.
    function execute(uint256 amountIn, Hop[] calldata hops, uint256 minProfit, uint256 deadlineBlock)
        external
        onlyOwner
        returns (uint256 profit)
    {
        uint256 n = hops.length;
        if (n == 0) revert EmptyPath();
        if (block.number > deadlineBlock) revert Expired(deadlineBlock, block.number);
        address base = hops[0].tokenIn;
        uint256 balanceBefore = _balanceOf(base, address(this));
        // A V2 pair is paid before its swap: the first one here, later ones by the hop before them.
        if (!hops[0].v3) _transfer(base, hops[0].pool, amountIn);
        uint256 amount = amountIn;
        for (uint256 i = 0; i < n; i++) {
            Hop calldata hop = hops[i];
            address recipient = i + 1 < n && !hops[i + 1].v3 ? hops[i + 1].pool : address(this);
            amount = hop.v3 ? _swapV3(hop, amount, recipient) : _swapV2(hop, recipient);
            if (amount == 0) revert ZeroOutput(i);
        }
        uint256 balanceAfter = _balanceOf(base, address(this));
        if (balanceAfter < balanceBefore || balanceAfter - balanceBefore < minProfit) {
            revert InsufficientProfit(balanceBefore, balanceAfter, minProfit);
        }
        return balanceAfter - balanceBefore;
    }

    /// @notice Sends tokens held by this contract to `to`.
    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        _transfer(token, to, amount);
    }

    /// @notice Pays a V3 pool what it asks for, only while this contract is swapping with it.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external {
        if (msg.sender != expectedPool) revert UnexpectedCallback(msg.sender);
        expectedPool = address(0);
        (address tokenIn, uint256 maxIn) = abi.decode(data, (address, uint256));
        uint256 owed;
        if (amount0Delta > 0) owed = uint256(amount0Delta);
        else if (amount1Delta > 0) owed = uint256(amount1Delta);
        if (owed == 0 || owed > maxIn) revert CallbackAmount(amount0Delta, amount1Delta, maxIn);
        _transfer(tokenIn, msg.sender, owed);
    }

    /// The pair's own formula (fee in pips), on the tokens that reached it beyond its reserve.
    function _swapV2(Hop calldata hop, address recipient) private returns (uint256 amountOut) {
        (uint112 reserve0, uint112 reserve1,) = IUniswapV2PairLike(hop.pool).getReserves();
        (uint256 reserveIn, uint256 reserveOut) = hop.zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
        uint256 amountIn = _balanceOf(hop.tokenIn, hop.pool) - reserveIn;
        uint256 inWithFee = amountIn * (PIPS - hop.fee);
        amountOut = (inWithFee * reserveOut) / (reserveIn * PIPS + inWithFee);
        if (amountOut == 0) return 0;
        if (hop.zeroForOne) IUniswapV2PairLike(hop.pool).swap(0, amountOut, recipient, "");
        else IUniswapV2PairLike(hop.pool).swap(amountOut, 0, recipient, "");
    }

    function _swapV3(Hop calldata hop, uint256 amountIn, address recipient) private returns (uint256 amountOut) {
        if (amountIn > uint256(type(int256).max)) revert AmountTooLarge(amountIn);
        uint160 limit = hop.sqrtPriceLimitX96;
        if (limit == 0) limit = hop.zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE;
        expectedPool = hop.pool;
        (int256 amount0, int256 amount1) = IUniswapV3PoolLike(hop.pool).swap(
            recipient, hop.zeroForOne, int256(amountIn), limit, abi.encode(hop.tokenIn, amountIn)
        );
        // A pool that never called back was not paid; nothing may answer for it later.
        expectedPool = address(0);
        int256 out = hop.zeroForOne ? amount1 : amount0;
        return out < 0 ? uint256(-out) : 0;
    }

    function _balanceOf(address token, address account) private view returns (uint256) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSelector(0x70a08231, account));
        if (!ok || data.length < 32) revert TokenCallFailed(token);
        return abi.decode(data, (uint256));
    }

    /// A transfer that accepts tokens returning nothing (USDT) and refuses a token without code.
    function _transfer(address token, address to, uint256 amount) private {
        if (token.code.length == 0) revert TokenCallFailed(token);
        (bool ok, bytes memory data) = token.call(abi.encodeWithSelector(0xa9059cbb, to, amount));
        if (!ok || (data.length != 0 && !abi.decode(data, (bool)))) revert TokenCallFailed(token);
    }
}

interface IUniswapV2PairLike {
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface IUniswapV3PoolLike {
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
}
