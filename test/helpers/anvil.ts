/**
 * A local EVM for tests: the real Foundry anvil binary from npm (@foundry-rs/anvil), started on a
 * free loopback port, with viem clients, and the compiled Uniswap V2/V3 contracts from their npm
 * packages ready to deploy.
 *
 * Suites that need it call `anvilSuite(name)`: without the binary they are skipped with a warning
 * naming the missing package, except under CI (CI set), where that is a failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  type Abi,
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  maxUint256,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';

const require = createRequire(import.meta.url);

export const CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

/** anvil's first funded dev accounts (public, well-known test keys). */
export const DEV_KEYS: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3d71feacb4de6b35',
];
export const DEV_KEY = DEV_KEYS[0] as Hex;

export interface Artifact {
  readonly abi: Abi;
  readonly bytecode: Hex;
}

/** ABI and creation bytecode of a compiled contract shipped in an npm package. */
export function artifact(path: string): Artifact {
  const json = require(path) as {
    abi: Abi;
    bytecode: string | { object: string };
    evm?: { bytecode: { object: string } };
  };
  const raw = typeof json.bytecode === 'string' ? json.bytecode : (json.evm?.bytecode.object ?? '');
  return { abi: json.abi, bytecode: (raw.startsWith('0x') ? raw : `0x${raw}`) as Hex };
}

function binaryPackage(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return `@foundry-rs/anvil-${process.platform}-${arch}`;
}

function findBinary(): string | undefined {
  try {
    const pkg = require.resolve(`${binaryPackage()}/package.json`);
    const bin = join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

export const ANVIL_BINARY = findBinary();

/**
 * True when a suite that needs anvil must be skipped (no binary, not under CI); warns once per
 * suite, naming the package. Under CI a missing binary is not skipped: the suite fails loudly.
 */
export function skipWithoutAnvil(suite: string): boolean {
  if (ANVIL_BINARY !== undefined || CI) return false;
  console.warn(
    `[${suite}] SKIPPED: the anvil binary of ${binaryPackage()} is missing (npm ci installs it with @foundry-rs/anvil)`,
  );
  return true;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface Anvil {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly pub: PublicClient;
  readonly wallet: WalletClient;
  readonly account: PrivateKeyAccount;
  /** A raw JSON-RPC call (anvil_*, evm_* and the like). */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  deploy(a: Artifact, args?: unknown[]): Promise<Address>;
  /** Sends a contract call from the dev account and waits for a successful receipt. */
  send(address: Address, abi: Abi, functionName: string, args: unknown[]): Promise<void>;
  read<T>(address: Address, abi: Abi, functionName: string, args?: unknown[]): Promise<T>;
  mine(blocks?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts anvil (chain id 31337) and waits for its first reply. */
export async function startAnvil(extraArgs: readonly string[] = []): Promise<Anvil> {
  if (ANVIL_BINARY === undefined)
    throw new Error(`CI run without the anvil binary of ${binaryPackage()}: npm ci must install it`);
  const port = await freePort();
  const child: ChildProcess = spawn(
    ANVIL_BINARY,
    ['--host', '127.0.0.1', '--port', String(port), '--silent', '--chain-id', '31337', ...extraArgs],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const account = privateKeyToAccount(DEV_KEY);
  const pub = createPublicClient({
    chain: foundry,
    transport: http(url, { retryCount: 0, batch: { batchSize: 1000, wait: 0 } }),
    pollingInterval: 50,
  }) as PublicClient;
  const wallet = createWalletClient({ chain: foundry, transport: http(url, { retryCount: 0 }), account });
  for (let i = 0; ; i++) {
    try {
      await pub.getChainId();
      break;
    } catch (err) {
      if (i > 200 || child.exitCode !== null) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const rpc = <T>(method: string, params: unknown[] = []) =>
    pub.request({ method: method as 'eth_chainId', params: params as never }) as Promise<T>;
  const anvil: Anvil = {
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    pub,
    wallet,
    account,
    rpc,
    async deploy(a, args = []) {
      const hash = await wallet.deployContract({
        abi: a.abi,
        bytecode: a.bytecode,
        args,
        account,
        chain: foundry,
      });
      const receipt = await pub.waitForTransactionReceipt({ hash });
      if (!receipt.contractAddress) throw new Error('deployment without an address');
      return receipt.contractAddress;
    },
    async send(address, abi, functionName, args) {
      // Estimated in the pending block, mined maybe a second later: a V3 pool's oracle then writes a
      // new observation and needs more gas than estimated. A margin keeps that from reverting.
      const estimate = await pub.estimateContractGas({ address, abi, functionName, args, account });
      const gas = (estimate * 13n) / 10n + 20_000n;
      const hash = await wallet.writeContract({
        address,
        abi,
        functionName,
        args,
        account,
        chain: foundry,
        gas,
      });
      const receipt = await pub.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') {
        const tx = await pub.getTransaction({ hash });
        throw new Error(
          `${functionName} reverted in block ${receipt.blockNumber} (gas used ${receipt.gasUsed} of ${tx.gas})`,
        );
      }
    },
    read: <T>(address: Address, abi: Abi, functionName: string, args: unknown[] = []) =>
      pub.readContract({ address, abi, functionName, args }) as Promise<T>,
    async mine(blocks = 1) {
      await rpc('anvil_mine', [`0x${blocks.toString(16)}`]);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
  return anvil;
}

/** The compiled Uniswap contracts (and WETH9, and the V2 test ERC20) from their npm packages. */
export const UNISWAP = {
  erc20: artifact('@uniswap/v2-core/build/ERC20.json'),
  v2Factory: artifact('@uniswap/v2-core/build/UniswapV2Factory.json'),
  v2Pair: artifact('@uniswap/v2-core/build/UniswapV2Pair.json'),
  weth: artifact('@uniswap/v2-periphery/build/WETH9.json'),
  router02: artifact('@uniswap/v2-periphery/build/UniswapV2Router02.json'),
  v3Factory: artifact('@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json'),
  v3Pool: artifact('@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json'),
  npm: artifact(
    '@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json',
  ),
  quoter: artifact('@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json'),
  swapRouter: artifact('@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json'),
} as const;

export interface UniswapDeployment {
  readonly weth: Address;
  readonly v2Factory: Address;
  readonly router02: Address;
  readonly v3Factory: Address;
  readonly npm: Address;
  readonly quoter: Address;
  readonly swapRouter: Address;
}

/** Deploys WETH9, the V2 factory and Router02, the V3 factory, position manager, QuoterV2 and SwapRouter. */
export async function deployUniswap(anvil: Anvil): Promise<UniswapDeployment> {
  const weth = await anvil.deploy(UNISWAP.weth);
  const v2Factory = await anvil.deploy(UNISWAP.v2Factory, [anvil.account.address]);
  const router02 = await anvil.deploy(UNISWAP.router02, [v2Factory, weth]);
  const v3Factory = await anvil.deploy(UNISWAP.v3Factory);
  const npm = await anvil.deploy(UNISWAP.npm, [
    v3Factory,
    weth,
    '0x0000000000000000000000000000000000000001',
  ]);
  const quoter = await anvil.deploy(UNISWAP.quoter, [v3Factory, weth]);
  const swapRouter = await anvil.deploy(UNISWAP.swapRouter, [v3Factory, weth]);
  return { weth, v2Factory, router02, v3Factory, npm, quoter, swapRouter };
}

/** Test tokens (the V2 test ERC20, all supply to the dev account), sorted by address. */
export async function deployTokens(anvil: Anvil, count: number, supply = 10n ** 40n): Promise<Address[]> {
  const tokens: Address[] = [];
  for (let i = 0; i < count; i++) tokens.push(await anvil.deploy(UNISWAP.erc20, [supply]));
  return tokens.sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1));
}

/** Approves every spender for every token, without limit, from the dev account. */
export async function approveAll(
  anvil: Anvil,
  tokens: readonly Address[],
  spenders: readonly Address[],
): Promise<void> {
  for (const t of tokens)
    for (const spender of spenders) await anvil.send(t, UNISWAP.erc20.abi, 'approve', [spender, maxUint256]);
}

/** A V2 pair funded by transfers and minted to the dev account; returns its address. */
export async function createV2Pair(
  anvil: Anvil,
  factory: Address,
  tokenA: Address,
  tokenB: Address,
  amountA: bigint,
  amountB: bigint,
): Promise<Address> {
  await anvil.send(factory, UNISWAP.v2Factory.abi, 'createPair', [tokenA, tokenB]);
  const pair = await anvil.read<Address>(factory, UNISWAP.v2Factory.abi, 'getPair', [tokenA, tokenB]);
  await anvil.send(tokenA, UNISWAP.erc20.abi, 'transfer', [pair, amountA]);
  await anvil.send(tokenB, UNISWAP.erc20.abi, 'transfer', [pair, amountB]);
  await anvil.send(pair, UNISWAP.v2Pair.abi, 'mint', [anvil.account.address]);
  return pair;
}

export const FEE_SPACING: Readonly<Record<number, number>> = { 100: 1, 500: 10, 3000: 60, 10000: 200 };
export const FAR_DEADLINE = 2n ** 40n;
