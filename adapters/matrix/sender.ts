/**
 * Sends OutboundMessages to Matrix: the events of {@link messageContents}, then the reactions
 * that stand for the buttons, put by the bot on its own message; edits as `m.replace`, with the
 * bot's reactions brought in line with the new buttons (added, or redacted when gone).
 * Failures map to delivery errors (see errors.ts).
 */
import type { Logger } from 'pino';
import { buttonKeys, type ChatAddress, type OutboundMessage, type SendResult } from '../../src/core/types.js';
import { describe, isTransient, retryAfterOf, toDeliveryError } from './errors.js';
import { normaliseKey, type MatrixEvent } from './inbound.js';
import type { MatrixTexts } from './messages.js';
import { editContent, messageContents } from './render.js';
import type { BotMessages } from './state.js';
import type { SyncingClient } from './transport.js';

/** Longest in-process wait for a follow-up request (next part, reaction) the server rate-limits. */
const FOLLOW_UP_MAX_WAIT_MS = 5000;
const FOLLOW_UP_ATTEMPTS = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs a request that follows one already sent (a message's next part, a reaction): retrying
 * it here, briefly, avoids sending the first part again through the delivery worker's retry.
 */
async function followUp<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (attempt >= FOLLOW_UP_ATTEMPTS || !isTransient(err)) throw err;
      await sleep(Math.min(retryAfterOf(err) ?? 250 * attempt, FOLLOW_UP_MAX_WAIT_MS));
    }
  }
}

/** What the sender needs. */
export interface SenderDeps {
  client: SyncingClient;
  userId: string;
  texts: MatrixTexts;
  botMessages: BotMessages;
  log: Logger;
}

/** The sending half of the Matrix adapter. */
export class MatrixSender {
  private readonly d: SenderDeps;

  constructor(deps: SenderDeps) {
    this.d = deps;
  }

  /** Sends (or edits) `message` in `to.chatId`; throws a DeliveryError on failure. */
  async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    if (message.editOf) return this.edit(to.chatId, message.editOf, message);
    const contents = messageContents(to, message, this.d.texts);
    const keys = buttonKeys(message.buttons);
    let eventId = '';
    for (const [i, content] of contents.entries()) {
      const last = i === contents.length - 1;
      try {
        const send = () => this.d.client.sendMessage(to.chatId, content);
        // Nothing is out before the first part: its failure goes to the delivery worker as is.
        eventId = i === 0 ? await send() : await followUp(send);
      } catch (err) {
        throw toDeliveryError(err);
      }
      this.d.botMessages.remember(eventId, last ? keys : []);
    }
    await this.syncReactions(to.chatId, eventId, keys, false);
    return { messageId: eventId };
  }

  private async edit(roomId: string, eventId: string, message: OutboundMessage): Promise<SendResult> {
    const keys = buttonKeys(message.buttons);
    try {
      await this.d.client.sendMessage(roomId, editContent(eventId, message, this.d.texts));
    } catch (err) {
      throw toDeliveryError(err);
    }
    this.d.botMessages.remember(eventId, keys);
    await this.syncReactions(roomId, eventId, keys, true);
    // Presses and replies keep pointing at the original event, so it stays the message's id.
    return { messageId: eventId };
  }

  /**
   * Puts the bot's reactions `keys` on its message; for an edit, first reads the reactions it
   * already put there and redacts those no longer wanted. A failure here is logged, not thrown:
   * the message is out, and the numbered hint still works without reactions.
   */
  private async syncReactions(roomId: string, eventId: string, keys: string[], existing: boolean): Promise<void> {
    try {
      const current = new Map<string, string>();
      if (existing) {
        const relations = await followUp(() => this.d.client.getRelationsForEvent(roomId, eventId, 'm.annotation', 'm.reaction'));
        for (const ev of relations.chunk as MatrixEvent[]) {
          const rel = ev.content?.['m.relates_to'] as { key?: unknown } | undefined;
          if (ev.sender === this.d.userId && typeof rel?.key === 'string') current.set(normaliseKey(rel.key), ev.event_id);
        }
      }
      const wanted = new Set(keys.map(normaliseKey));
      for (const [key, reactionId] of current) {
        if (!wanted.has(key)) await followUp(() => this.d.client.redactEvent(roomId, reactionId));
      }
      for (const key of keys) {
        if (current.has(normaliseKey(key))) continue;
        await followUp(() =>
          this.d.client.sendRawEvent(roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key } }),
        );
      }
    } catch (err) {
      this.d.log.warn({ roomId, eventId, err: describe(err) }, 'could not update the reactions of a matrix message');
    }
  }
}
