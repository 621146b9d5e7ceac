/**
 * The one error funnel of Pilote (STYLE idea 4). Domain and command errors carry a stable code
 * and a catalogue key for the user; delivery errors tell the outbound worker what to do.
 */

/** An error the user caused or may fix: shown to them in their language, never logged as a bug. */
export class UserError extends Error {
  /** Stable code, e.g. `E_FORBIDDEN`. */
  readonly code: string;
  /** Message catalogue key. */
  readonly key: string;
  /** Values for the message template. */
  readonly params: Record<string, string | number>;
  constructor(code: string, key: string, params: Record<string, string | number> = {}) {
    super(`${code}: ${key}`);
    this.name = 'UserError';
    this.code = code;
    this.key = key;
    this.params = params;
  }
}

/** The actor's role may not do this. */
export class ForbiddenError extends UserError {
  constructor(action: string) {
    super('E_FORBIDDEN', 'errors.forbidden', { action });
    this.name = 'ForbiddenError';
  }
}

/** Something named does not exist (task number, project, member…). */
export class NotFoundError extends UserError {
  constructor(key: string, params: Record<string, string | number> = {}) {
    super('E_NOT_FOUND', key, params);
    this.name = 'NotFoundError';
  }
}

/** What a delivery failure means for the outbound worker. */
export type DeliveryFailure =
  /** Try again later (after `retryAfterMs` when the platform said so). */
  | 'retry'
  /** Never going to work for this chat/user: mark it and stop. */
  | 'unreachable'
  /** Will never work for this message (bad request): stop. */
  | 'permanent'
  /** Not an error in effect (e.g. Telegram "message is not modified"). */
  | 'ignore';

/** Thrown by `Adapter.send`; the adapter maps its platform's errors to it. */
export class DeliveryError extends Error {
  readonly failure: DeliveryFailure;
  readonly retryAfterMs?: number;
  constructor(failure: DeliveryFailure, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.failure = failure;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}
