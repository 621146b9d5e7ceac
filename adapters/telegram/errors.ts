/**
 * Telegram failures → the core's delivery errors. The Bot API answers `{ ok: false,
 * error_code, description, parameters }`; grammY raises it as a `GrammyError`, and a failed
 * HTTP call (network, proxy, timeout) as an `HttpError`.
 */
import { GrammyError, HttpError } from 'grammy';
import { DeliveryError } from '../../src/core/errors.js';

/** Bad requests that mean the chat itself is gone for the bot (not this message's fault). */
const CHAT_GONE = /chat not found|user is deactivated|bot was kicked|bot is not a member|have no rights to send|not enough rights to send text|CHAT_WRITE_FORBIDDEN|need administrator rights|PEER_ID_INVALID/i;

/** Whether `err` is Telegram's "message is not modified" (an edit that changes nothing). */
export function isNotModified(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /message is not modified/i.test(err.description);
}

/** Whether an edit failed because the message cannot be edited any more (deleted, too old, not ours). */
export function isUneditable(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    /message to edit not found|message can't be edited|message can.t be edited|MESSAGE_ID_INVALID|there is no text in the message to edit/i.test(err.description)
  );
}

/** The new chat id when a group was upgraded to a supergroup (`migrate_to_chat_id`), if that is the error. */
export function migratedTo(err: unknown): number | undefined {
  return err instanceof GrammyError ? err.parameters.migrate_to_chat_id : undefined;
}

/** Maps any error of a Bot API call to what the delivery worker should do about it. */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof GrammyError) {
    const what = `telegram ${err.method}: ${err.error_code} ${err.description}`;
    const code = err.error_code;
    if (code === 429) {
      const seconds = err.parameters.retry_after ?? 1;
      return new DeliveryError('retry', what, { retryAfterMs: Math.max(1, seconds) * 1000, cause: err });
    }
    // Blocked by the user, kicked from the group, user deactivated: nothing will get through.
    if (code === 403) return new DeliveryError('unreachable', what, { cause: err });
    if (code === 400 && /message is not modified/i.test(err.description)) return new DeliveryError('ignore', what, { cause: err });
    if (code === 400 && CHAT_GONE.test(err.description)) return new DeliveryError('unreachable', what, { cause: err });
    // Telegram's own trouble (500, 502…) or a bad token being fixed: worth another try.
    if (code >= 500 || code === 401 || code === 409) return new DeliveryError('retry', what, { cause: err });
    return new DeliveryError('permanent', what, { cause: err });
  }
  if (err instanceof HttpError) return new DeliveryError('retry', `telegram: ${err.message}`, { cause: err });
  return new DeliveryError('retry', `telegram: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
