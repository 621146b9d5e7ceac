/**
 * Matrix failures → the core's delivery errors. matrix-bot-sdk throws a `MatrixError` (errcode,
 * HTTP status, `retry_after_ms`) when the server answered with a Matrix error, the raw HTTP
 * response for any other non-2xx answer, and the HTTP library's error for network failures.
 */
import { DeliveryError } from '../../src/core/errors.js';

/** What Pilote reads of any error the SDK throws. */
interface ErrorShape {
  errcode?: unknown;
  statusCode?: unknown;
  retryAfterMs?: unknown;
  body?: unknown;
  code?: unknown;
  message?: unknown;
}

function shape(err: unknown): ErrorShape {
  return err && typeof err === 'object' ? (err as ErrorShape) : {};
}

/** The Matrix error code (`M_FORBIDDEN`…), if the server gave one. */
export function errcodeOf(err: unknown): string | undefined {
  const e = shape(err);
  if (typeof e.errcode === 'string') return e.errcode;
  const body = e.body && typeof e.body === 'object' ? (e.body as { errcode?: unknown }) : undefined;
  return typeof body?.errcode === 'string' ? body.errcode : undefined;
}

/** The HTTP status of a server answer, if the error is one. */
export function statusOf(err: unknown): number | undefined {
  const s = shape(err).statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** How long the server asked to wait (`retry_after_ms` of `M_LIMIT_EXCEEDED`), if it did. */
export function retryAfterOf(err: unknown): number | undefined {
  const e = shape(err);
  if (errcodeOf(err) !== 'M_LIMIT_EXCEEDED' && statusOf(err) !== 429) return undefined;
  const body = e.body && typeof e.body === 'object' ? (e.body as { retry_after_ms?: unknown }) : undefined;
  const ms = typeof e.retryAfterMs === 'number' ? e.retryAfterMs : body?.retry_after_ms;
  return typeof ms === 'number' && ms >= 0 ? ms : undefined;
}

/** True for failures worth trying again: rate limits, server errors, timeouts and network errors. */
export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  const code = errcodeOf(err);
  if (code === 'M_LIMIT_EXCEEDED' || status === 429) return true;
  if (status !== undefined) return status >= 500;
  // No HTTP answer at all: the connection failed (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ESOCKETTIMEDOUT…).
  return true;
}

/** A short description for logs and the outbox's last error (never a token: the SDK's errors hold none). */
export function describe(err: unknown): string {
  const code = errcodeOf(err);
  const status = statusOf(err);
  const e = shape(err);
  if (code) return `${code}${status ? ` (${status})` : ''}: ${String((e.body as { error?: unknown } | undefined)?.error ?? e.message ?? '')}`.trim();
  if (status !== undefined) return `HTTP ${status}`;
  if (typeof e.code === 'string') return `network error ${e.code}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Maps a failed send: `M_LIMIT_EXCEEDED` → retry after `retry_after_ms`; `M_FORBIDDEN` (kicked,
 * banned, not in the room) → unreachable; 5xx and network → retry; other Matrix errors (bad
 * event, unknown event to edit…) → permanent.
 */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const message = describe(err);
  const code = errcodeOf(err);
  const retryAfterMs = retryAfterOf(err);
  if (code === 'M_LIMIT_EXCEEDED' || statusOf(err) === 429) {
    return new DeliveryError('retry', message, { cause: err, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (code === 'M_FORBIDDEN') return new DeliveryError('unreachable', message, { cause: err });
  // A revoked token is the operator's to fix: keep the message and retry with backoff meanwhile.
  if (code === 'M_UNKNOWN_TOKEN' || code === 'M_MISSING_TOKEN') return new DeliveryError('retry', message, { cause: err });
  if (isTransient(err)) return new DeliveryError('retry', message, { cause: err });
  return new DeliveryError('permanent', message, { cause: err });
}
