/**
 * Outbound rendering for Telegram: the core's markup becomes HTML (parse mode `HTML`, every
 * user character escaped), long texts are cut at line boundaries under Telegram's 4,096
 * characters, and button rows become an inline keyboard whose callback data fits in 64 bytes.
 */
import type { InlineKeyboardMarkup } from 'grammy/types';
import { DeliveryError } from '../../src/core/errors.js';
import { splitText, toHtml, toPlain } from '../../src/core/format.js';
import type { Button } from '../../src/core/types.js';

/** Longest text of one message, counted after entity parsing (Bot API). */
export const MAX_MESSAGE_CHARS = 4096;
/** Longest `callback_data` of an inline button, in bytes (Bot API). */
export const MAX_CALLBACK_BYTES = 64;
/** Longest toast of `answerCallbackQuery` (Bot API). */
export const MAX_TOAST_CHARS = 200;

/**
 * Splits the markup at line boundaries first, then renders each chunk, so that no chunk ever
 * cuts a tag or an entity in two. A chunk's visible text is never longer than its markup.
 */
export function renderChunks(markup: string, max = MAX_MESSAGE_CHARS): string[] {
  const chunks = splitText(markup, max).map((chunk) => toHtml(chunk)).filter((html) => html.trim().length > 0);
  return chunks.length > 0 ? chunks : ['…'];
}

/**
 * The inline keyboard for button rows, or undefined when there are none. Throws a permanent
 * {@link DeliveryError} for an action Telegram would refuse (empty, or over 64 bytes).
 */
export function inlineKeyboard(rows: Button[][] | undefined): InlineKeyboardMarkup | undefined {
  const kept = (rows ?? []).filter((row) => row.length > 0);
  if (kept.length === 0) return undefined;
  return {
    inline_keyboard: kept.map((row) =>
      row.map((button) => {
        const bytes = Buffer.byteLength(button.action, 'utf8');
        if (bytes === 0 || bytes > MAX_CALLBACK_BYTES) {
          throw new DeliveryError('permanent', `telegram: button action is ${bytes} bytes, callback_data takes 1-${MAX_CALLBACK_BYTES}`);
        }
        return { text: button.label.trim() || button.emoji || '·', callback_data: button.action };
      }),
    ),
  };
}

/** A toast as Telegram takes it: plain text (toasts have no formatting), at most 200 characters. */
export function toastText(toast: string): string {
  const plain = toPlain(toast);
  if (plain.length <= MAX_TOAST_CHARS) return plain;
  // Cut whole code points (never half an emoji) until it fits with the ellipsis.
  let cut = '';
  for (const c of plain) {
    if (cut.length + c.length > MAX_TOAST_CHARS - 1) break;
    cut += c;
  }
  return `${cut}…`;
}
