/**
 * The executor artifact committed in src/venues/evm/executor-artifact.ts is what solc-js compiles
 * from contracts/ConcordExecutor.sol with the build's settings, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACT_FILE,
  CONTRACT_SOURCE,
  compileExecutor,
  loadSolc,
  renderArtifact,
} from '../../../scripts/build-contracts.ts';
import { CONCORD_EXECUTOR } from '../../../src/venues/evm/executor-artifact.ts';

describe('executor contract build', () => {
  const solc = loadSolc();

  it('recompiles to the committed artifact (ABI, bytecode, source hash, compiler)', () => {
    expect(solc, 'solc (solc-js) is a dev dependency: npm ci installs it').toBeDefined();
    if (solc === undefined) return;
    const compiled = compileExecutor(solc);
    expect(CONCORD_EXECUTOR.bytecode).toBe(compiled.bytecode);
    expect(CONCORD_EXECUTOR.deployedBytecode).toBe(compiled.deployedBytecode);
    expect(CONCORD_EXECUTOR.abi).toEqual(compiled.abi);
    expect(CONCORD_EXECUTOR.sourceSha256).toBe(compiled.sourceSha256);
    expect(CONCORD_EXECUTOR.compiler).toBe(compiled.compiler);
    expect(readFileSync(ARTIFACT_FILE, 'utf8')).toBe(renderArtifact(compiled));
  }, 120_000);

  it('a change to the source changes the bytecode (the comparison can fail)', () => {
    if (solc === undefined) return;
    const source = readFileSync(CONTRACT_SOURCE, 'utf8');
    const changed = source.replace(
      'uint256 private constant PIPS = 1_000_000;',
      'uint256 private constant PIPS = 1_000_001;',
    );
    expect(changed).not.toBe(source);
    expect(compileExecutor(solc, changed).bytecode).not.toBe(CONCORD_EXECUTOR.bytecode);
  }, 120_000);
});
