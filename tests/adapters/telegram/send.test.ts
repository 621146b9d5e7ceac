/**
 * Sending with the Telegram adapter: rendering, splitting, keyboards, edits, press answers and
 * the mapping of Telegram's failures, through grammY against the fake Bot API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelegramAdapter } from '../../../adapters/telegram/index.js';
import { DeliveryError } from '../../../src/core/errors.js';
import { escapeMarkup } from '../../../src/core/format.js';
import type { ChatAddress, OutboundMessage } from '../../../src/core/types.js';
import { FakeTelegram } from '../../fakes/telegram.js';

describe('Telegram adapter: sending', () => {
  let fake: FakeTelegram;
  let adapter: TelegramAdapter;
  const alice = FakeTelegram.user(2001, 'Alice');
  let dm: ChatAddress;

  beforeAll(async () => {
    fake = await FakeTelegram.start();
    adapter = new TelegramAdapter({ token: fake.token, apiRoot: fake.apiRoot });
    await adapter.startSending();
    dm = { platform: 'telegram', workspace: '', chatId: String(fake.privateChat(alice).id) };
  });
  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  const failure = async (to: ChatAddress, message: OutboundMessage) => {
    const err = await adapter.send(to, message).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeliveryError);
    return err as DeliveryError;
  };
  const lastBot = (chatId: string) => fake.botMessages(Number(chatId)).at(-1)!;

  it('renders the markup as HTML and escapes what users wrote', async () => {
    const title = '<script>alert("x")</script> & co *pas gras*';
    await adapter.send(dm, { text: `*Tâche #12* créée : _${escapeMarkup(title)}_ \`code\`` });
    const msg = lastBot(dm.chatId);
    expect(msg.text).toBe(`Tâche #12 créée : ${title} code`);
    expect(msg.html).toContain('&lt;script&gt;');
    expect(msg.entities.map((e) => e.type)).toEqual(['bold', 'italic', 'code']);
    expect(fake.callsOf('sendMessage').at(-1)!.payload).toMatchObject({ parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
  });

  it('splits a long text at line boundaries under 4,096 characters; reply on the first part, keyboard on the last', async () => {
    const lines = Array.from({ length: 90 }, (_, i) => `• Ligne ${String(i).padStart(2, '0')} ${'é<&>'.repeat(30)}`);
    const group = fake.group(-100_3001, 'Conseil');
    const question = fake.userSends(alice, group, '/taches@PiloteBot')!;
    const to: ChatAddress = { platform: 'telegram', workspace: '', chatId: String(group.id) };
    const result = await adapter.send(to, {
      text: lines.map(escapeMarkup).join('\n'),
      replyTo: String(question.message!.message_id),
      buttons: [[{ label: 'Suite', action: 'task.more:1' }]],
    });
    const parts = fake.botMessages(group);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) expect(p.text.length).toBeLessThanOrEqual(4096);
    expect(parts.map((p) => p.text).join('\n')).toBe(lines.join('\n'));
    expect(parts.every((p) => p.text.split('\n').every((l) => lines.includes(l)))).toBe(true);
    expect(parts[0]!.reply_to_message_id).toBe(question.message!.message_id);
    expect(parts.slice(1).every((p) => p.reply_to_message_id === undefined)).toBe(true);
    expect(parts.slice(0, -1).every((p) => p.reply_markup === undefined)).toBe(true);
    expect(parts.at(-1)!.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Suite', callback_data: 'task.more:1' }]] });
    expect(result.messageId).toBe(String(parts.at(-1)!.message_id));
  });

  it('accepts the core’s 48-byte actions and refuses callback data over 64 bytes without sending anything', async () => {
    const action48 = `task.done:${'c'.repeat(38)}`;
    expect(Buffer.byteLength(action48)).toBe(48);
    await adapter.send(dm, { text: 'ok', buttons: [[{ label: '✅', action: action48 }]] });
    expect(lastBot(dm.chatId).reply_markup?.inline_keyboard[0]![0]).toMatchObject({ callback_data: action48 });
    const before = fake.callsOf('sendMessage').length;
    const err = await failure(dm, { text: 'trop long', buttons: [[{ label: 'x', action: `task.done:${'é'.repeat(28)}` }]] });
    expect(err.failure).toBe('permanent');
    expect(fake.callsOf('sendMessage')).toHaveLength(before);
  });

  it('answers the press with its toast and edits the pressed message, removing the keyboard when the new one has none', async () => {
    const sent = await adapter.send(dm, { text: 'Tâche #3', buttons: [[{ label: '✅ Fait', action: 'task.done:a' }, { label: '⏰', action: 'task.snooze:a' }]] });
    const press = fake.press(alice, Number(dm.chatId), Number(sent.messageId), '⏰').callback_query!;
    const snoozed = await adapter.send(dm, {
      text: 'Tâche #3 reportée',
      editOf: sent.messageId,
      pressAck: { pressId: press.id, toast: 'Reporté d’un jour' },
      buttons: [[{ label: '✅ Fait', action: 'task.done:a' }]],
    });
    expect(snoozed.messageId).toBe(sent.messageId);
    expect(fake.answerOf(press.id)?.text).toBe('Reporté d’un jour');
    let msg = fake.botMessages(Number(dm.chatId)).find((m) => String(m.message_id) === sent.messageId)!;
    expect(msg).toMatchObject({ text: 'Tâche #3 reportée', edits: 1 });
    expect(msg.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toEqual(['✅ Fait']);

    const done = fake.press(alice, Number(dm.chatId), Number(sent.messageId), '✅ Fait').callback_query!;
    await adapter.send(dm, { text: '✅ Fait par Alice', editOf: sent.messageId, pressAck: { pressId: done.id, toast: 'Fait !' } });
    msg = fake.botMessages(Number(dm.chatId)).find((m) => String(m.message_id) === sent.messageId)!;
    expect(msg.text).toBe('✅ Fait par Alice');
    expect(msg.reply_markup).toBeUndefined();
    expect(fake.answerOf(done.id)?.text).toBe('Fait !');
    const order = fake.calls.slice(-2).map((c) => c.method);
    expect(order).toEqual(['answerCallbackQuery', 'editMessageText']);

    // The same edit again (a retried delivery): "not modified" and a stale query are not failures.
    const again = await adapter.send(dm, { text: '✅ Fait par Alice', editOf: sent.messageId, pressAck: { pressId: done.id, toast: 'Fait !' } });
    expect(again.messageId).toBe(sent.messageId);
    expect(fake.calls.slice(-2).map((c) => c.status)).toEqual([400, 400]);
  });

  it('sends a new message when the one to edit is gone', async () => {
    const result = await adapter.send(dm, { text: 'Nouvel état', editOf: '99999' });
    expect(lastBot(dm.chatId)).toMatchObject({ text: 'Nouvel état', edits: 0 });
    expect(result.messageId).toBe(String(lastBot(dm.chatId).message_id));
  });

  it('posts in the forum topic of the address', async () => {
    const forum = fake.group(-100_3002, 'Mairie', 'forum');
    const topic = fake.createTopic(forum, 'Voirie', alice);
    await adapter.send({ platform: 'telegram', workspace: '', chatId: String(forum.id), threadId: String(topic) }, { text: 'Dans le sujet' });
    expect(fake.botMessages(forum, topic).map((m) => m.text)).toEqual(['Dans le sujet']);
  });

  it('gives up a call that never answers, so that the delivery is retried long before the outbox sweep', async () => {
    const impatient = new TelegramAdapter({ token: fake.token, apiRoot: fake.apiRoot, callTimeoutMs: 300 });
    await impatient.startSending();
    fake.fail('sendMessage', 'hang');
    const started = Date.now();
    const err = await impatient.send(dm, { text: 'sans réponse' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).failure).toBe('retry');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // The next call is answered again.
    await impatient.send(dm, { text: 'avec réponse' });
    expect(lastBot(dm.chatId).text).toBe('avec réponse');
    await impatient.stop();
  });

  it('maps Telegram failures to delivery errors', async () => {
    const bob = FakeTelegram.user(2002, 'Bob');
    const bobChat: ChatAddress = { platform: 'telegram', workspace: '', chatId: String(fake.privateChat(bob).id) };

    fake.fail('sendMessage', { status: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });
    expect(await failure(bobChat, { text: 'x' })).toMatchObject({ failure: 'retry', retryAfterMs: 7000 });

    fake.fail('sendMessage', 'network');
    expect((await failure(bobChat, { text: 'x' })).failure).toBe('retry');
    fake.fail('sendMessage', { status: 502, description: 'Bad Gateway', html: true });
    expect((await failure(bobChat, { text: 'x' })).failure).toBe('retry');
    fake.fail('sendMessage', { status: 500, description: 'Internal Server Error' });
    expect((await failure(bobChat, { text: 'x' })).failure).toBe('retry');

    fake.fail('sendMessage', { status: 400, description: 'Bad Request: wrong parameter action in request' });
    expect((await failure(bobChat, { text: 'x' })).failure).toBe('permanent');
    expect((await failure({ ...bobChat, chatId: '424242' }, { text: 'x' })).failure).toBe('unreachable');

    fake.block(bob);
    const blocked = await failure(bobChat, { text: 'x' });
    expect(blocked.failure).toBe('unreachable');
    expect(blocked.message).toContain('403 Forbidden: bot was blocked by the user');

    const group = fake.group(-100_3003, 'Ancien groupe');
    fake.kick(group);
    expect((await failure({ ...bobChat, chatId: String(group.id) }, { text: 'x' })).failure).toBe('unreachable');
    expect(fake.botMessages(Number(bobChat.chatId))).toHaveLength(0);
  });

  it('follows a group that became a supergroup', async () => {
    const old = fake.group(-3004, 'Groupe', 'group');
    const upgraded = fake.group(-100_3004, 'Groupe', 'supergroup');
    fake.fail('sendMessage', { status: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: upgraded.id } });
    await adapter.send({ platform: 'telegram', workspace: '', chatId: String(old.id) }, { text: 'Toujours là' });
    expect(fake.botMessages(upgraded).map((m) => m.text)).toEqual(['Toujours là']);
  });

  it('after a 429 half-way through a long text, a retry sends only the parts not yet sent', async () => {
    const carol = FakeTelegram.user(2003, 'Carol');
    const chat = fake.privateChat(carol);
    const to: ChatAddress = { platform: 'telegram', workspace: '', chatId: String(chat.id) };
    const text = Array.from({ length: 3 }, (_, i) => `${i}`.repeat(3000)).join('\n');
    fake.floodControl(chat, 1, 1);
    const err = await failure(to, { text });
    expect(err).toMatchObject({ failure: 'retry', retryAfterMs: 1000 });
    expect(fake.botMessages(chat)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1050));
    await expect(adapter.send(to, { text })).rejects.toMatchObject({ failure: 'retry' });
    await new Promise((r) => setTimeout(r, 1050));
    await adapter.send(to, { text });
    expect(fake.botMessages(chat).map((m) => m.text[0])).toEqual(['0', '1', '2']);
  });
});
