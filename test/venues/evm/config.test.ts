import { describe, expect, it } from 'vitest';
import { isConcordError } from '../../../src/core/index.ts';
import { CHAIN_PRESETS, parseEvmChainConfig, redactUrl } from '../../../src/venues/evm/index.ts';

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isConcordError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a ConcordError');
}

describe('EVM chain config', () => {
  it('fills a preset: chain id and gas model, endpoints from the config', () => {
    const c = parseEvmChainConfig({
      chain: 'base',
      rpc: { http: 'https://rpc.example/k', ws: 'wss://rpc.example/k' },
    });
    expect(c.chainId).toBe(8453);
    expect(c.name).toBe('base');
    expect(c.rpc).toEqual({ http: 'https://rpc.example/k', ws: 'wss://rpc.example/k' });
    expect(c.gas.baseFee).toEqual({ kind: 'eip1559', denominator: 250, elasticity: 6 });
    expect(c.gas.l1DataFee).toEqual({
      kind: 'op-stack',
      oracle: '0x420000000000000000000000000000000000000F',
    });
    expect(c.maxReorgDepth).toBe(64);
  });

  it('has a preset for each of the five chains (and anvil)', () => {
    const ids = Object.fromEntries(Object.entries(CHAIN_PRESETS).map(([k, v]) => [k, v.chainId]));
    expect(ids).toEqual({
      ethereum: 1,
      optimism: 10,
      base: 8453,
      arbitrum: 42161,
      polygon: 137,
      anvil: 31337,
    });
    expect(CHAIN_PRESETS.arbitrum.gas.l1DataFee.kind).toBe('arbitrum');
    expect(CHAIN_PRESETS.ethereum.gas.l1DataFee.kind).toBe('none');
  });

  it('overrides any gas field; wei amounts as decimal strings become bigints', () => {
    const c = parseEvmChainConfig({
      chainId: 999,
      name: 'my-l2',
      rpc: { http: 'http://127.0.0.1:8545' },
      gas: {
        priorityFee: { kind: 'fixed', wei: '1500000000' },
        l1DataFee: { kind: 'per-byte', weiPerByte: '16', fixedWei: 1000 },
        baseFee: { kind: 'eip1559', denominator: 50, elasticity: 10 },
      },
    });
    expect(c.chainId).toBe(999);
    expect(c.gas.priorityFee).toEqual({ kind: 'fixed', wei: 1_500_000_000n });
    expect(c.gas.l1DataFee).toEqual({ kind: 'per-byte', weiPerByte: 16n, fixedWei: 1000n });
    expect(c.gas.baseFee).toEqual({ kind: 'eip1559', denominator: 50, elasticity: 10 });
    expect(c.rpc.ws).toBeUndefined();
  });

  it.each([
    [{ rpc: { http: 'http://x' } }, 'chain.chainId'],
    [{ chain: 'ethereum', chainId: 10, rpc: { http: 'http://x' } }, 'chain.chainId'],
    [{ chain: 'solana', rpc: { http: 'http://x' } }, 'chain.chain'],
    [{ chain: 'ethereum', rpc: { http: 'ftp://x' } }, 'chain.rpc.http'],
    [{ chain: 'ethereum', rpc: { http: 'http://x', ws: 'http://x' } }, 'chain.rpc.ws'],
    [{ chain: 'ethereum', rpc: {} }, 'chain.rpc.http'],
    [
      { chain: 'ethereum', rpc: { http: 'http://x' }, gas: { priorityFee: { kind: 'fixed', wei: -1 } } },
      'chain.gas.priorityFee.wei',
    ],
    [
      { chain: 'ethereum', rpc: { http: 'http://x' }, gas: { priorityFee: { kind: 'fixed', wei: '1.5' } } },
      'chain.gas.priorityFee.wei',
    ],
    [
      {
        chain: 'ethereum',
        rpc: { http: 'http://x' },
        gas: { baseFee: { kind: 'eip1559', denominator: 0, elasticity: 2 } },
      },
      'chain.gas.baseFee.denominator',
    ],
    [
      {
        chain: 'ethereum',
        rpc: { http: 'http://x' },
        gas: { l1DataFee: { kind: 'op-stack', oracle: '0x12' } },
      },
      'chain.gas.l1DataFee.oracle',
    ],
    [{ chain: 'ethereum', rpc: { http: 'http://x' }, maxReorgDepth: 0 }, 'chain.maxReorgDepth'],
    [{ chain: 'ethereum', rpc: { http: 'http://x' }, extra: 1 }, 'chain'],
  ])('refuses %j naming %s', (input, path) => {
    const e = codeOf(() => parseEvmChainConfig(input));
    expect(e.code).toBe('CONCORD_ERR_EVM_CONFIG_INVALID');
    expect(e.message).toContain(`${path}`);
  });

  it('never echoes an endpoint’s path or query (where API keys live)', () => {
    const e = codeOf(() =>
      parseEvmChainConfig({
        chain: 'ethereum',
        rpc: { http: 'https://rpc.example/v2/SECRETKEY', ws: 'https://rpc.example/v2/SECRETKEY' },
      }),
    );
    expect(e.message).toContain('https://rpc.example');
    expect(e.message).not.toContain('SECRETKEY');
    expect(redactUrl('https://user:pw@node.example:8545/key?x=1')).toBe('https://node.example:8545');
  });
});
