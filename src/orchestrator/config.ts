/**
 * Config validation for the orchestrator's sections. Config enters the process at
 * the boundary, so it is parsed once with zod; the hot path then reads plain fields.
 * A failure names the field (`details.path`), what was expected and what was given.
 */
import type { z } from 'zod';
import { ConcordError } from '../core/index.ts';

export function parseConfigSection<T>(schema: z.ZodType<T>, input: unknown, pathPrefix: string): T {
  const result = schema.safeParse(input ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const segments = [pathPrefix, ...(issue?.path ?? []).map(String)];
  if (issue?.code === 'unrecognized_keys') segments.push(...issue.keys.slice(0, 1));
  const path = segments.filter((s) => s !== '').join('.');
  const expected = issue?.code === 'invalid_type' ? issue.expected : (issue?.message ?? 'a valid value');
  throw new ConcordError('CONCORD_ERR_CONFIG_INVALID', `${path}: ${issue?.message ?? 'invalid value'}`, {
    details: {
      path,
      expected,
      received: describeReceived(issue?.code === 'unrecognized_keys' ? undefined : issue?.input),
    },
  });
}

function describeReceived(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return String(value);
  }
}
