import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeskConfig, validateDeskConfig } from '../../src/kernel/index.ts';
import { ROOT } from '../helpers/cli.ts';

describe('README', () => {
  it('opens with the two commands and its example config is valid', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const head = readme.split('\n').slice(0, 8).join('\n');
    expect(head).toContain('npm install && npm start');
    expect(head).toContain('npm install && npm test');
    const block = /```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const config = parseDeskConfig(JSON.parse(block as string), 'README');
    expect(() => validateDeskConfig(config, 'README')).not.toThrow();
    expect(config.agents.some((a) => a.isolated)).toBe(true);
  });
});
