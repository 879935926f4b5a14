import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConventions, importCycles } from '../../scripts/check-conventions.ts';
import { tempDir } from '../helpers/cli.ts';

/** A minimal project tree: the files given plus an empty docs/errors.md. */
function plant(files: Record<string, string>): string {
  const root = tempDir('conventions-');
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'docs', 'errors.md'), '# Errors\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the conventions check', () => {
  it('passes on a clean planted tree', () => {
    const root = plant({
      'src/core/a.ts': 'export const a = 1;\n',
      'src/kernel/k.ts': "import { a } from '../core/a.ts';\nexport const k = a;\n",
    });
    expect(checkConventions(root)).toEqual([]);
  });

  it.each([
    ['modes', 'src/modes/run.ts'],
    ['analysis', 'src/analysis/report.ts'],
    ['control', 'src/control/channel.ts'],
    ['api', 'src/api/server.ts'],
  ])('fails when the kernel imports a %s module', (component, path) => {
    const root = plant({
      [path]: 'export const x = 1;\n',
      'src/kernel/desk.ts': `import { x } from '../${path.slice('src/'.length)}';\nexport const y = x;\n`,
    });
    const problems = checkConventions(root);
    expect(problems.some((p) => p.includes(`kernel must not depend on ${component}`))).toBe(true);
  });

  it('fails when a mode imports an operator channel; channels reach the kernel through its command port', () => {
    const root = plant({
      'src/control/channel.ts': 'export const channel = 1;\n',
      'src/kernel/commands.ts': 'export const applyCommand = () => 1;\n',
      'src/modes/session.ts': "import { channel } from '../control/channel.ts';\nexport const s = channel;\n",
    });
    expect(checkConventions(root)).toEqual([
      'src/modes/session.ts:1: modes must not depend on control (dependencies point inward)',
    ]);
    const adapter = plant({
      'src/kernel/commands.ts': 'export const applyCommand = () => 1;\n',
      'src/control/source.ts':
        "import { applyCommand } from '../kernel/commands.ts';\nexport const c = applyCommand;\n",
    });
    expect(checkConventions(adapter)).toEqual([]);
  });

  it('holds the EVM venue to core and model: no other venue, no outer component', () => {
    const clean = plant({
      'src/core/a.ts': 'export const a = 1;\n',
      'src/model/m.ts': "import { a } from '../core/a.ts';\nexport const m = a;\n",
      'src/venues/evm/pools.ts': "import { m } from '../../model/m.ts';\nexport const p = m;\n",
      'src/venues/evm/sync.ts': "import { p } from './pools.ts';\nexport const s = p;\n",
    });
    expect(checkConventions(clean)).toEqual([]);
    const crossing = plant({
      'src/venues/simulated/venue.ts': 'export const v = 1;\n',
      'src/risk/r.ts': 'export const r = 1;\n',
      'src/venues/evm/a.ts':
        "import { v } from '../simulated/venue.ts';\nimport { r } from '../../risk/r.ts';\nexport const a = v + r;\n",
    });
    const problems = checkConventions(crossing);
    expect(problems).toContain(
      'src/venues/evm/a.ts:1: venue adapter evm must not import the simulated adapter (adapters stand alone)',
    );
    expect(problems).toContain(
      'src/venues/evm/a.ts:2: venues must not depend on risk (dependencies point inward)',
    );
  });

  it('fails on an import circle, and ignores type-only imports', () => {
    const circular = plant({
      'src/kernel/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'src/kernel/b.ts': "import { c } from './c.ts';\nexport const b = () => c;\n",
      'src/kernel/c.ts': "import { a } from './a.ts';\nexport const c = () => a;\n",
    });
    expect(checkConventions(circular)).toEqual([
      'import circle among: kernel/a.ts, kernel/b.ts, kernel/c.ts (runtime imports, src/)',
    ]);
    const typeOnly = plant({
      'src/kernel/a.ts': "import type { B } from './b.ts';\nexport type A = B;\nexport const a = 1;\n",
      'src/kernel/b.ts': "import { a } from './a.ts';\nexport type B = number;\nexport const b = a;\n",
    });
    expect(checkConventions(typeOnly)).toEqual([]);
  });

  it('keeps venue adapters apart: ccxt may not import the simulated venue, the kernel or a mode', () => {
    const root = plant({
      'src/core/a.ts': 'export const a = 1;\n',
      'src/venues/simulated/sim.ts': "import { a } from '../../core/a.ts';\nexport const s = a;\n",
      'src/venues/remote/server.ts': "import { s } from '../simulated/sim.ts';\nexport const r = s;\n",
      'src/venues/ccxt/ok.ts': "import { a } from '../../core/a.ts';\nexport const ok = a;\n",
    });
    expect(checkConventions(root)).toEqual([]);
    const leaky = plant({
      'src/venues/simulated/sim.ts': 'export const s = 1;\n',
      'src/kernel/desk.ts': 'export const d = 1;\n',
      'src/venues/ccxt/bad.ts':
        "import { s } from '../simulated/sim.ts';\nimport { d } from '../../kernel/desk.ts';\nexport const b = s + d;\n",
      'src/venues/newthing/x.ts': 'export const x = 1;\n',
    });
    const problems = checkConventions(leaky);
    expect(problems).toContain(
      'src/venues/ccxt/bad.ts:1: venue adapter ccxt must not import the simulated adapter (adapters stand alone)',
    );
    expect(problems).toContain(
      'src/venues/ccxt/bad.ts:2: venues must not depend on kernel (dependencies point inward)',
    );
    expect(problems).toContain(
      'venues/newthing/x.ts: venue adapter src/venues/newthing is not in VENUE_ADAPTERS of scripts/check-conventions.ts',
    );
  });

  it('finds every strongly connected component of an import graph', () => {
    const graph = new Map<string, string[]>([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', ['d']],
      ['d', ['d']],
      ['e', ['c']],
    ]);
    expect(importCycles(graph)).toEqual([['d'], ['a', 'b']]);
  });
});
