/**
 * Sending one core message to Telegram: answer the press it acknowledges, edit the pressed
 * message or send new ones (a long text as several messages, the keyboard on the last), and
 * turn failures into delivery errors.
 *
 * A long text that failed half-way (429 on its third part, say) is retried by the delivery
 * worker as a whole; the parts already sent are remembered here so that the retry sends only
 * the rest, and nothing is doubled. (That memory lives in this process: a retry picked up by
 * another worker process would send the parts again.)
 */
import { createHash } from 'node:crypto';
import { GrammyError, type Api } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { ChatAddress, OutboundMessage, SendResult } from '../../src/core/types.js';
import { isNotModified, isUneditable, migratedTo, toDeliveryError } from './errors.js';
import type { PressTracker } from './presses.js';
import { inlineKeyboard, renderChunks, toastText } from './render.js';

/** Parts of a message already sent, kept until the message is complete (or this long). */
const PROGRESS_TTL_MS = 3600_000;

/**
 * The longest one Bot API call of a send may take (grammY's own default is 500 s): past it the
 * call is abandoned and the delivery retried, well before the outbox sweep would queue the
 * message again (docs/architecture.md).
 */
export const CALL_TIMEOUT_MS = 20_000;

/** A signal that aborts a call after `ms` (grammY types its signals with a polyfill's type). */
function callTimeout(ms: number): Parameters<Api['sendMessage']>[3] {
  return AbortSignal.timeout(ms) as unknown as Parameters<Api['sendMessage']>[3];
}

interface Progress {
  ids: string[];
  at: number;
}

/** Telegram takes numeric chat ids as numbers (and `@channel` names as strings). */
function chatIdOf(id: string): number | string {
  return /^-?\d+$/.test(id) ? Number(id) : id;
}

/** Sends core messages through a grammY `Api`; see the module comment. */
export class TelegramSender {
  private readonly api: Api;
  private readonly presses: PressTracker;
  private readonly callTimeoutMs: number;
  private readonly progress = new Map<string, Progress>();

  constructor(api: Api, presses: PressTracker, callTimeoutMs = CALL_TIMEOUT_MS) {
    this.api = api;
    this.presses = presses;
    this.callTimeoutMs = callTimeoutMs;
  }

  /** Sends (or edits) `message` in `to`; throws a `DeliveryError` on failure. */
  async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    if (message.pressAck) await this.answer(message.pressAck.pressId, message.pressAck.toast);
    const keyboard = inlineKeyboard(message.buttons);
    const chunks = renderChunks(message.text);
    try {
      return await this.deliver(chatIdOf(to.chatId), to, message, chunks, keyboard);
    } catch (err) {
      const moved = migratedTo(err);
      if (moved === undefined) throw toDeliveryError(err);
      // The group became a supergroup: its new id takes the message (the binding keeps the old one).
      try {
        return await this.deliver(moved, to, message, chunks, keyboard);
      } catch (again) {
        throw toDeliveryError(again);
      }
    }
  }

  private async answer(pressId: string, toast: string): Promise<void> {
    this.presses.answering(pressId);
    try {
      await this.api.answerCallbackQuery(pressId, { text: toastText(toast) }, callTimeout(this.callTimeoutMs));
    } catch (err) {
      // Too late, or answered already (a retried delivery): the edit still matters.
      if (err instanceof GrammyError && err.error_code === 400) return;
      throw err;
    }
  }

  private async deliver(
    chatId: number | string,
    to: ChatAddress,
    message: OutboundMessage,
    chunks: string[],
    keyboard: InlineKeyboardMarkup | undefined,
  ): Promise<SendResult> {
    this.prune();
    const key = progressKey(chatId, to, message);
    const progress = this.progress.get(key) ?? { ids: [], at: Date.now() };
    const { ids } = progress;
    try {
      for (let i = ids.length; i < chunks.length; i++) {
        const html = chunks[i]!;
        const markup = i === chunks.length - 1 ? keyboard : undefined;
        if (i === 0 && message.editOf) {
          const edited = await this.edit(chatId, message.editOf, html, markup);
          if (edited) {
            ids.push(edited);
            continue;
          }
        }
        const sent = await this.api.sendMessage(
          chatId,
          html,
          {
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
            ...(to.threadId ? { message_thread_id: Number(to.threadId) } : {}),
            ...(i === 0 && message.replyTo
              ? { reply_parameters: { message_id: Number(message.replyTo), allow_sending_without_reply: true } }
              : {}),
            ...(markup ? { reply_markup: markup } : {}),
          },
          callTimeout(this.callTimeoutMs),
        );
        ids.push(String(sent.message_id));
      }
    } catch (err) {
      if (ids.length > 0) this.progress.set(key, progress);
      throw err;
    }
    this.progress.delete(key);
    return { messageId: ids[ids.length - 1]! };
  }

  /**
   * Replaces the text of an earlier bot message. Without a keyboard in the call Telegram
   * removes the old one, which is what a final action wants. Returns the message id, or
   * undefined when the message cannot be edited any more (then a new one is sent).
   */
  private async edit(chatId: number | string, messageId: string, html: string, markup: InlineKeyboardMarkup | undefined): Promise<string | undefined> {
    try {
      await this.api.editMessageText(
        chatId,
        Number(messageId),
        html,
        {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(markup ? { reply_markup: markup } : {}),
        },
        callTimeout(this.callTimeoutMs),
      );
      return messageId;
    } catch (err) {
      if (isNotModified(err)) return messageId;
      if (isUneditable(err)) return undefined;
      throw err;
    }
  }

  private prune(): void {
    const old = Date.now() - PROGRESS_TTL_MS;
    for (const [key, p] of this.progress) if (p.at < old) this.progress.delete(key);
  }
}

function progressKey(chatId: number | string, to: ChatAddress, message: OutboundMessage): string {
  const parts = [String(chatId), to.threadId ?? '', message.editOf ?? '', message.replyTo ?? '', message.text];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}
