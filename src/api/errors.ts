/**
 * Every 4xx and 5xx the API answers has the body `{code: 'CONCORD_ERR_*', message}`. This maps
 * what a handler or fastify threw to a status and such a body.
 */
import { isConcordError } from '../core/index.ts';

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

export interface Answer {
  readonly status: number;
  readonly body: ErrorBody;
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  CONCORD_ERR_API_BAD_REQUEST: 400,
  CONCORD_ERR_API_UNAUTHORIZED: 401,
  CONCORD_ERR_API_FORBIDDEN: 403,
  CONCORD_ERR_API_NOT_FOUND: 404,
  CONCORD_ERR_API_RATE_LIMITED: 429,
  CONCORD_ERR_API_NOT_READY: 503,
  CONCORD_ERR_EXPLAIN_UNKNOWN_ID: 404,
  CONCORD_ERR_AGENT_UNKNOWN: 404,
  CONCORD_ERR_EXPLAIN_AMBIGUOUS_ID: 409,
};

/** A ConcordError's status: its own when listed, 503 for a journal that cannot be read, else 409 (refused). */
function statusOf(code: string): number {
  const known = STATUS_BY_CODE[code];
  if (known !== undefined) return known;
  if (code.startsWith('CONCORD_ERR_JOURNAL_')) return 503;
  if (code.startsWith('CONCORD_ERR_EXPLAIN_')) return 400;
  if (code === 'CONCORD_ERR_INTERNAL') return 500;
  return 409;
}

/** The answer for anything thrown while handling a request. Never leaks a stack or a secret. */
export function answerFor(error: unknown): Answer {
  if (isConcordError(error)) {
    return { status: statusOf(error.code), body: { code: error.code, message: error.shortMessage } };
  }
  const e = error as { validation?: unknown; statusCode?: unknown; message?: unknown; code?: unknown };
  if (e !== null && typeof e === 'object') {
    if (e.validation !== undefined) {
      return {
        status: 400,
        body: { code: 'CONCORD_ERR_API_BAD_REQUEST', message: String(e.message ?? 'invalid request') },
      };
    }
    const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
    if (status >= 400 && status < 500) {
      // fastify's own refusals: bad JSON, unsupported media type, body too large, ...
      return {
        status,
        body: { code: 'CONCORD_ERR_API_BAD_REQUEST', message: String(e.message ?? 'bad request') },
      };
    }
  }
  return {
    status: 500,
    body: { code: 'CONCORD_ERR_INTERNAL', message: 'internal error; the server log has the details' },
  };
}
