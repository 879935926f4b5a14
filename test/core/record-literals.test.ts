import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConventions, findRecordTypeLiterals } from '../../scripts/check-conventions.ts';
import { tempDir } from '../helpers/cli.ts';

const find = (rel: string, text: string) => findRecordTypeLiterals(rel, text);

describe('conventions: no record-type literal outside the event catalogue', () => {
  it('flags a dotted record type anywhere, with its file and line', () => {
    const problems = find('kernel/x.ts', "const a = 1;\ndesk.record('risk.halt', p);\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^src\/kernel\/x\.ts:2: record type 'risk\.halt'/);
    expect(find('kernel/x.ts', 'if (r.type === "order.filled") n++;')).toHaveLength(1);
    expect(find('execution/x.ts', 'const T = { a: `plan.started` };')).toHaveLength(1);
  });

  it('flags an undotted record type where it names a record', () => {
    expect(find('kernel/x.ts', "this.record('decision', rec);")).toHaveLength(1);
    expect(find('kernel/x.ts', "const c = reader.last(['checkpoint']);")).toHaveLength(1);
    expect(find('kernel/x.ts', "      case 'market':")).toHaveLength(1);
    expect(find('kernel/x.ts', "if (r.type === 'trigger') {")).toHaveLength(1);
    expect(find('kernel/x.ts', "const TYPES = [\n  'consensus',\n  'outcome'\n];")).toHaveLength(2);
  });

  it('leaves the same words alone where they are ordinary vocabulary', () => {
    expect(find('agents/x.ts', "return { kind: 'order', side, type: 'market', quantity };")).toEqual([]);
    expect(find('execution/x.ts', "if (intent.type === 'market') tif = 'IOC';")).toEqual([]);
    expect(find('agents/x.ts', "z.enum(['market', 'limit'])")).toEqual([]);
    expect(find('agents/x.ts', "if (m.kind === 'decision') {")).toEqual([]);
  });

  it('ignores comments, prefixes, longer strings and templates with substitutions', () => {
    expect(find('kernel/x.ts', '// desk.record(\'risk.halt\', p)\n/* "order.filled" */')).toEqual([]);
    expect(find('kernel/x.ts', "if (type.startsWith('order.')) f('journal run.start');")).toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text under test is source code
    expect(find('kernel/x.ts', 'const t = `order.filled${suffix}`;')).toEqual([]);
  });

  it('exempts the catalogue, the folders below it, and the allowlisted venue-event lines only', () => {
    expect(find('bus/catalogue.ts', "name: 'order.filled',")).toEqual([]);
    expect(find('model/order.ts', "readonly type: 'order.accepted';")).toEqual([]);
    expect(find('venues/x.ts', "if (event.type === 'order.filled') return;")).toEqual([]);
    expect(find('execution/venue-events.ts', "      case 'order.accepted':")).toEqual([]);
    // The same file may not write the record type as a literal.
    expect(find('execution/venue-events.ts', "this.emitOrder('order.accepted', order);")).toHaveLength(1);
    expect(find('execution/reconcile.ts', "      case 'order.accepted':")).toHaveLength(1);
  });

  it('makes checkConventions fail on a planted violation in a source tree', () => {
    const root = tempDir();
    mkdirSync(join(root, 'src', 'kernel'), { recursive: true });
    mkdirSync(join(root, 'docs'), { recursive: true });
    writeFileSync(join(root, 'docs', 'errors.md'), '# Error codes\n');
    writeFileSync(join(root, 'src', 'kernel', 'ok.ts'), 'export const x = 1;\n');
    expect(checkConventions(root)).toEqual([]);
    writeFileSync(
      join(root, 'src', 'kernel', 'planted.ts'),
      "export function f(desk: { record(t: string, p: unknown): void }) {\n  desk.record('run.start', {});\n}\n",
    );
    const problems = checkConventions(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^src\/kernel\/planted\.ts:2: record type 'run\.start'/);
  });
});
