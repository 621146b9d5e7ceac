/**
 * Sending through the Slack Web API: posts, ephemeral answers, edits (`chat.update`, ts = message
 * id) and the bot's DM with a user (a user id as chat id). Failures become delivery errors.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { ChatAddress, OutboundMessage, SendResult } from '../../src/core/types.js';
import { slackErrorCode, toDeliveryError } from './errors.js';
import { isDirectId } from './inbound.js';
import { renderMessage, slashHints, type SlackPayload } from './render.js';

/** Errors of `chat.update` after which the new state is posted as a new message. */
const EDIT_GONE = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);

/** Sends core messages to Slack; see the module comment. */
export class SlackSender {
  private readonly client: webApi.WebClient;
  private readonly logger: Logger;
  /** User id → id of the bot's IM with them. */
  private readonly ims = new Map<string, string>();
  /** Command names whose `/name` hints become `/pilote name`. */
  private readonly commands: ReadonlySet<string>;

  constructor(client: webApi.WebClient, logger: Logger, commands: readonly string[] = []) {
    this.client = client;
    this.logger = logger;
    this.commands = new Set(commands);
  }

  /** Sends (or edits) a message; several Slack messages when it is too long for one. */
  async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    const channel = await this.conversation(to.chatId);
    const payloads = renderMessage({ ...message, text: slashHints(message.text, this.commands) });
    // Ephemeral only where others could see it: in a DM the answer is private anyway (and stays).
    const ephemeralFor = message.ephemeralFor && !isDirectId(channel) ? message.ephemeralFor : undefined;
    const thread = to.threadId ? { thread_ts: to.threadId } : {};
    let messageId = message.editOf ?? '';
    for (const [i, payload] of payloads.entries()) {
      if (i === 0 && message.editOf && (await this.update(channel, message.editOf, payload))) continue;
      messageId = ephemeralFor ? await this.postEphemeral(channel, ephemeralFor, payload, thread) : await this.post(channel, payload, thread);
    }
    return { messageId };
  }

  /** The conversation to write to: a user id stands for the bot's IM with that user. */
  private async conversation(chatId: string): Promise<string> {
    if (!/^[UW]/.test(chatId)) return chatId;
    const known = this.ims.get(chatId);
    if (known) return known;
    const r = await this.call('conversations.open', chatId, () => this.client.conversations.open({ users: chatId }));
    const id = r.channel?.id;
    if (!id) throw toDeliveryError(new Error('conversations.open returned no channel'), { method: 'conversations.open', channel: chatId }, this.logger);
    this.ims.set(chatId, id);
    return id;
  }

  private async call<T>(method: string, channel: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toDeliveryError(err, { method, channel }, this.logger);
    }
  }

  private async post(channel: string, p: SlackPayload, thread: { thread_ts?: string }): Promise<string> {
    const r = await this.call('chat.postMessage', channel, () =>
      this.client.chat.postMessage({ channel, text: p.text, blocks: p.blocks, unfurl_links: false, unfurl_media: false, ...thread }),
    );
    return r.ts ?? '';
  }

  private async postEphemeral(channel: string, user: string, p: SlackPayload, thread: { thread_ts?: string }): Promise<string> {
    const r = await this.call('chat.postEphemeral', channel, () =>
      this.client.chat.postEphemeral({ channel, user, text: p.text, blocks: p.blocks, ...thread }),
    );
    return r.message_ts ?? '';
  }

  /** Edits a bot message; false when it can no longer be edited (then a new one is posted). */
  private async update(channel: string, ts: string, p: SlackPayload): Promise<boolean> {
    try {
      await this.client.chat.update({ channel, ts, text: p.text, blocks: p.blocks });
      return true;
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && EDIT_GONE.has(code)) {
        this.logger.info({ channel, ts, slackError: code }, 'slack: message cannot be edited; posting the new state instead');
        return false;
      }
      throw toDeliveryError(err, { method: 'chat.update', channel }, this.logger);
    }
  }
}
