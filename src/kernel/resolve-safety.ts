/**
 * Where the desk's limits come from: the `safety` section when given, else the `risk` shorthand.
 * Pure; the desk, config validation and `concord explain` read the limits through it.
 */

import { ConcordError } from '../core/index.ts';
import {
  parseRiskConfig,
  parseSafetyConfig,
  type RiskConfig,
  type SafetyConfig,
  toRiskConfig,
} from '../risk/index.ts';
import type { DeskConfig } from './config.ts';
import { rerootConfigError } from './config.ts';

/**
 * The desk's limits come from one place: the `safety` section when given (its
 * riskManagement part), else the `risk` shorthand. Both at once is ambiguous.
 */
export function resolveSafety(config: DeskConfig): { risk: RiskConfig; safety: SafetyConfig } {
  const hasRisk = Object.keys(config.risk).length > 0;
  if (config.safety !== undefined && hasRisk) {
    throw new ConcordError(
      'CONCORD_ERR_CONFIG_INVALID',
      'config: give the limits either in "safety.riskManagement" or in "risk", not both',
      {
        details: { path: 'risk', expected: 'either safety or risk' },
      },
    );
  }
  if (config.safety !== undefined) {
    const safety = parseSafetyConfig(config.safety);
    return { risk: toRiskConfig(safety), safety };
  }
  let risk: RiskConfig;
  try {
    risk = parseRiskConfig(config.risk);
  } catch (err) {
    throw rerootConfigError(err, 'risk');
  }
  return { risk, safety: parseSafetyConfig({}) };
}
