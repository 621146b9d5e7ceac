/**
 * Telegram updates → core events. A message is addressed to the bot in a private chat, or in
 * a group when it starts with a command (`/tache …`, or `/tache@ThisBot …`; a command for
 * another bot is dropped) or with a mention of the bot. Forum topics become the thread.
 */
import type { CallbackQuery, Chat, Message, MessageEntity, Update, User } from 'grammy/types';
import type { ChatAddress, InboundEvent, InboundMessage, PlatformMention, Sender } from '../../src/core/types.js';

/** What the adapter knows of its own bot (from `getMe`). */
export interface BotIdentity {
  id: number;
  username: string;
}

/** Update kinds the bot asks Telegram for (`allowed_updates`). */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** The core event key of an update: unique per bot and update, `[A-Za-z0-9._-]` only. */
export function eventId(bot: BotIdentity, updateId: number): string {
  return `telegram-${bot.id}-${updateId}`;
}

/** Maps an update to a core event, or undefined when it is nothing for the core. */
export function toInboundEvent(update: Update, bot: BotIdentity, now: Date = new Date()): InboundEvent | undefined {
  if (update.message) return fromMessage(update.update_id, update.message, bot);
  if (update.callback_query) return fromCallback(update.update_id, update.callback_query, bot, now);
  return undefined;
}

function sender(user: User): Sender {
  const displayName = [user.first_name, user.last_name].filter(Boolean).join(' ').trim();
  return {
    userId: String(user.id),
    ...(displayName ? { displayName } : {}),
    ...(user.username ? { username: user.username } : {}),
    ...(user.language_code ? { locale: user.language_code } : {}),
  };
}

/** Where a message lives; a forum topic (and only a forum topic) is the thread. */
function chatOf(chat: Chat, message?: Pick<Message, 'is_topic_message' | 'message_thread_id'>): ChatAddress & { isDirect: boolean } {
  const threadId = message?.is_topic_message && message.message_thread_id !== undefined ? String(message.message_thread_id) : undefined;
  return {
    platform: 'telegram',
    workspace: '',
    chatId: String(chat.id),
    ...(threadId ? { threadId } : {}),
    isDirect: chat.type === 'private',
  };
}

/** How a text starts: a command for this bot, for another bot, a mention of this bot, or neither. */
type Opening = { kind: 'ours'; text: string } | { kind: 'other' } | { kind: 'none' };

function opening(text: string, entities: MessageEntity[], bot: BotIdentity): Opening {
  const first = entities.find((e) => e.offset === 0);
  if (first?.type === 'bot_command') {
    const command = text.slice(1, first.length);
    const at = command.indexOf('@');
    const name = at < 0 ? command : command.slice(0, at);
    const target = at < 0 ? undefined : command.slice(at + 1);
    if (target !== undefined && target.toLowerCase() !== bot.username.toLowerCase()) return { kind: 'other' };
    return { kind: 'ours', text: `${name}${text.slice(first.length)}` };
  }
  if (first?.type === 'mention' && text.slice(1, first.length).toLowerCase() === bot.username.toLowerCase()) {
    return { kind: 'ours', text: text.slice(first.length).trimStart() };
  }
  return { kind: 'none' };
}

function fromMessage(updateId: number, message: Message, bot: BotIdentity): InboundMessage | undefined {
  const text = message.text;
  // Other bots, the anonymous-admin and channel identities cannot be members: nothing to do.
  if (text === undefined || !message.from || message.from.is_bot || message.sender_chat) return undefined;
  const entities = message.entities ?? [];
  const chat = chatOf(message.chat, message);
  const open = opening(text, entities, bot);
  if (open.kind === 'other') return undefined;
  const body = open.kind === 'ours' ? open.text : text;
  const mentions: PlatformMention[] = entities
    .filter((e): e is MessageEntity.TextMentionMessageEntity => e.type === 'text_mention')
    .map((e) => ({ text: text.slice(e.offset, e.offset + e.length), userId: String(e.user.id) }));
  const reply = message.reply_to_message;
  // In a forum every message "replies" to the topic's first message: that is not a reply.
  const repliesTo = reply && !reply.forum_topic_created ? String(reply.message_id) : undefined;
  return {
    kind: 'message',
    id: eventId(bot, updateId),
    chat,
    sender: sender(message.from),
    at: new Date(message.date * 1000).toISOString(),
    text: body,
    addressed: open.kind === 'ours' || chat.isDirect,
    ...(mentions.length ? { mentions } : {}),
    ...(repliesTo ? { replyToMessageId: repliesTo } : {}),
  };
}

function fromCallback(updateId: number, query: CallbackQuery, bot: BotIdentity, now: Date): InboundEvent | undefined {
  if (query.data === undefined || query.from.is_bot) return undefined;
  const message = query.message;
  // Without the message (inline mode) the press has no chat: answer it in the user's private chat.
  const chat = message
    ? chatOf(message.chat, 'is_topic_message' in message ? message : undefined)
    : { platform: 'telegram' as const, workspace: '', chatId: String(query.from.id), isDirect: true };
  return {
    kind: 'button',
    id: eventId(bot, updateId),
    chat,
    sender: sender(query.from),
    at: now.toISOString(),
    action: query.data,
    ...(message ? { messageId: String(message.message_id) } : {}),
    pressId: query.id,
  };
}
