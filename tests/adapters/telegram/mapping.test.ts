/** The adapter's pure parts: update mapping edge cases, rendering limits, the command menu. */
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { commandMenu } from '../../../adapters/telegram/commands.js';
import { toInboundEvent } from '../../../adapters/telegram/mapping.js';
import { inlineKeyboard, MAX_MESSAGE_CHARS, renderChunks, toastText } from '../../../adapters/telegram/render.js';
import { DeliveryError } from '../../../src/core/errors.js';

const bot = { id: 42, username: 'PiloteBot' };
const from = { id: 7, is_bot: false, first_name: 'Léa' };
const group = { id: -100_9, type: 'supergroup' as const, title: 'Conseil' };
const message = (extra: Record<string, unknown>) => ({ update_id: 10, message: { message_id: 3, date: 1_700_000_000, chat: group, from, ...extra } }) as unknown as Update;

describe('Telegram update mapping', () => {
  it('resolves text mentions (people without a username) to their user id', () => {
    const text = '/tache@PiloteBot Tondre Léa';
    const event = toInboundEvent(
      message({ text, entities: [{ type: 'bot_command', offset: 0, length: 16 }, { type: 'text_mention', offset: 24, length: 3, user: { id: 99, is_bot: false, first_name: 'Léa' } }] }),
      bot,
    );
    expect(event).toMatchObject({ kind: 'message', text: 'tache Tondre Léa', addressed: true, mentions: [{ text: 'Léa', userId: '99' }] });
    expect(event!.at).toBe(new Date(1_700_000_000_000).toISOString());
  });

  it('ignores bots, anonymous admins, channels, edits and non-text messages', () => {
    expect(toInboundEvent(message({ text: '/aide', from: { ...from, is_bot: true } }), bot)).toBeUndefined();
    expect(toInboundEvent(message({ text: '/aide', sender_chat: group }), bot)).toBeUndefined();
    expect(toInboundEvent(message({ photo: [] }), bot)).toBeUndefined();
    expect(toInboundEvent({ update_id: 11, edited_message: { message_id: 3, date: 1, edit_date: 2, chat: group, from, text: '/aide' } } as Update, bot)).toBeUndefined();
    expect(toInboundEvent({ update_id: 12, channel_post: { message_id: 3, date: 1, chat: { id: -1, type: 'channel', title: 'c' }, text: '/aide' } } as Update, bot)).toBeUndefined();
  });

  it('maps a press on a message it can no longer see, and one without a message (inline)', () => {
    const inaccessible = toInboundEvent(
      { update_id: 13, callback_query: { id: 'q1', from, chat_instance: 'c', data: 'task.done:x', message: { chat: group, message_id: 5, date: 0 } } } as Update,
      bot,
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(inaccessible).toMatchObject({ kind: 'button', messageId: '5', pressId: 'q1', chat: { chatId: String(group.id), isDirect: false }, at: '2026-01-01T00:00:00.000Z' });
    const inline = toInboundEvent({ update_id: 14, callback_query: { id: 'q2', from, chat_instance: 'c', data: 'x', inline_message_id: 'i' } } as Update, bot);
    expect(inline).toMatchObject({ kind: 'button', action: 'x', chat: { chatId: '7', isDirect: true } });
    expect(inline).not.toHaveProperty('messageId');
  });
});

describe('Telegram rendering', () => {
  it('never produces an empty or over-long part, and refuses oversized callback data', () => {
    expect(renderChunks('')).toEqual(['…']);
    const long = 'x'.repeat(MAX_MESSAGE_CHARS * 2 + 10);
    expect(renderChunks(long).map((c) => c.length)).toEqual([4096, 4096, 10]);
    expect(inlineKeyboard([[]])).toBeUndefined();
    expect(() => inlineKeyboard([[{ label: 'x', action: '' }]])).toThrow(DeliveryError);
    expect(inlineKeyboard([[{ label: ' ', emoji: '✅', action: 'a' }]])).toEqual({ inline_keyboard: [[{ text: '✅', callback_data: 'a' }]] });
  });

  it('keeps toasts plain and within 200 characters, without cutting an emoji in half', () => {
    expect(toastText('*Fait* \\_ !')).toBe('Fait _ !');
    const toast = toastText('🎉'.repeat(150));
    expect(toast.length).toBeLessThanOrEqual(200);
    expect(toast.endsWith('🎉…')).toBe(true);
  });
});

describe('Telegram command menu', () => {
  it('keeps only names Telegram accepts, once each, and uses the first valid alias in English', () => {
    const commands = [
      { name: 'aide', aliases: ['help', '?'], summary: 'cmd.aide.summary' as const },
      { name: 'tâche', aliases: ['task'], summary: 'cmd.tache.summary' as const },
      { name: 'taches', aliases: ['?', 'tasks'], summary: 'cmd.taches.summary' as const },
      { name: 'aide', aliases: [], summary: 'cmd.aide.summary' as const },
    ];
    expect(commandMenu(commands, 'fr').map((c) => c.command)).toEqual(['aide', 'taches']);
    expect(commandMenu(commands, 'en')).toEqual([
      { command: 'help', description: 'the list of commands, or help on one command' },
      { command: 'task', description: 'create a task' },
      { command: 'tasks', description: 'list open tasks' },
      { command: 'aide', description: 'the list of commands, or help on one command' },
    ]);
  });
});
