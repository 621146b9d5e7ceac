/**
 * Receiving with the Telegram adapter in long-polling mode: grammY talks to the fake Bot API,
 * the adapter's events land in a test sink (the core is exercised in e2e.test.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TelegramAdapter } from '../../../adapters/telegram/index.js';
import { QueueUnavailableError } from '../../../src/app.js';
import { buildRouter } from '../../../src/commands/index.js';
import { loadConfig } from '../../../src/config.js';
import type { InboundButton, InboundEvent, InboundMessage } from '../../../src/core/types.js';
import { createAdapters } from '../../../src/platforms.js';
import { FakeTelegram } from '../../fakes/telegram.js';

describe('Telegram adapter: receiving by long polling', () => {
  let fake: FakeTelegram;
  let adapter: TelegramAdapter;
  let events: InboundEvent[] = [];
  let refuse = 0;
  const sink = async (event: InboundEvent) => {
    if (refuse > 0) {
      refuse--;
      throw new QueueUnavailableError('reconnecting');
    }
    events.push(event);
  };
  const alice = FakeTelegram.user(1001, 'Alice', { last_name: 'Martin', username: 'alice_m', language_code: 'en-GB' });
  const bob = FakeTelegram.user(1002, 'Bob');

  const start = async () => {
    const a = new TelegramAdapter({
      token: fake.token,
      apiRoot: fake.apiRoot,
      commands: buildRouter().commands,
      pollTimeoutSeconds: 1,
      backoffMs: { min: 50, max: 200 },
      pressFallbackMs: 300,
    });
    await a.startSending();
    await a.startReceiving(sink);
    return a;
  };
  const eventFor = (updateId: number) => fake.waitFor(() => events.find((e) => e.id === `telegram-${fake.bot.id}-${updateId}`), 5000, `update ${updateId}`);

  beforeAll(async () => {
    fake = await FakeTelegram.start();
    adapter = await start();
  });
  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });
  beforeEach(() => {
    events = [];
    fake.privacy = true;
  });

  it('registers its commands in French by default and in English, and drops any webhook', () => {
    const fr = fake.commandsFor()!;
    const en = fake.commandsFor('en')!;
    expect(fr).toContainEqual({ command: 'tache', description: 'créer une tâche' });
    expect(fr).toContainEqual({ command: 'lier', description: 'lier votre compte avec le code reçu de la mairie' });
    expect(en).toContainEqual({ command: 'task', description: 'create a task' });
    expect(en).toContainEqual({ command: 'help', description: 'the list of commands, or help on one command' });
    for (const c of [...fr, ...en]) expect(c.command).toMatch(/^[a-z0-9_]{1,32}$/);
    expect(fr.length).toBe(buildRouter().commands.length);
    expect(fake.callsOf('deleteWebhook')).toHaveLength(1);
    expect(fake.callsOf('setWebhook')).toHaveLength(0);
  });

  it('turns a private message into an addressed event keyed by bot id and update id', async () => {
    const update = fake.userSends(alice, fake.privateChat(alice), '/lier K7P4-QXM2')!;
    const event = (await eventFor(update.update_id)) as InboundMessage;
    expect(event).toMatchObject({
      kind: 'message',
      id: `telegram-${fake.bot.id}-${update.update_id}`,
      chat: { platform: 'telegram', workspace: '', chatId: '1001', isDirect: true },
      sender: { userId: '1001', displayName: 'Alice Martin', username: 'alice_m', locale: 'en-GB' },
      text: 'lier K7P4-QXM2',
      addressed: true,
    });
    expect(event.id).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(event.chat.threadId).toBeUndefined();
    expect(Date.parse(event.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('in a group, takes /cmd and /cmd@ThisBot, and leaves commands for other bots and plain chatter unaddressed', async () => {
    fake.privacy = false;
    const group = fake.group(-100_2001, 'Conseil municipal');
    const ours = fake.userSends(alice, group, '/tache@PiloteBot Réparer le lampadaire @bob_d')!;
    const loud = fake.userSends(alice, group, '/TACHE@pilotebot Tailler la haie')!;
    const bare = fake.userSends(bob, group, '/taches')!;
    const other = fake.userSends(bob, group, '/start@OtherBot')!;
    const chatter = fake.userSends(bob, group, 'bonjour à tous')!;
    const mention = fake.userSends(bob, group, '@PiloteBot aide')!;
    const e1 = (await eventFor(ours.update_id)) as InboundMessage;
    expect(e1).toMatchObject({ text: 'tache Réparer le lampadaire @bob_d', addressed: true, chat: { chatId: '-1002001', isDirect: false } });
    expect(((await eventFor(loud.update_id)) as InboundMessage).text).toBe('TACHE Tailler la haie');
    expect(((await eventFor(bare.update_id)) as InboundMessage).text).toBe('taches');
    expect(await eventFor(chatter.update_id)).toMatchObject({ text: 'bonjour à tous', addressed: false });
    expect(await eventFor(mention.update_id)).toMatchObject({ text: 'aide', addressed: true });
    expect(events.find((e) => e.id.endsWith(`-${other.update_id}`))).toBeUndefined();
  });

  it('takes a forum topic as the thread (the topic root is not a reply), and keeps a real reply', async () => {
    const forum = fake.group(-100_2002, 'Mairie', 'forum');
    const topic = fake.createTopic(forum, 'Voirie', alice);
    const u1 = fake.userSends(alice, forum, '/taches@PiloteBot', { threadId: topic })!;
    const e1 = (await eventFor(u1.update_id)) as InboundMessage;
    expect(e1.chat).toMatchObject({ chatId: '-1002002', threadId: String(topic), isDirect: false });
    expect(e1.replyToMessageId).toBeUndefined();
    const u2 = fake.userSends(bob, forum, '/aide', { threadId: topic, replyTo: u1.message!.message_id })!;
    expect(await eventFor(u2.update_id)).toMatchObject({ replyToMessageId: String(u1.message!.message_id), chat: { threadId: String(topic) } });
  });

  it('turns a button press into a button event, and answers it when the core does not', async () => {
    const dm = fake.privateChat(bob);
    const msg = await adapter.send({ platform: 'telegram', workspace: '', chatId: String(dm.id) }, {
      text: 'Tâche #5',
      buttons: [[{ label: '✅ Fait', action: 'task.done:ck123' }]],
    });
    const press = fake.press(bob, dm.id, Number(msg.messageId), '✅ Fait');
    const event = (await eventFor(press.update_id)) as InboundButton;
    expect(event).toMatchObject({
      kind: 'button',
      action: 'task.done:ck123',
      messageId: msg.messageId,
      pressId: press.callback_query!.id,
      chat: { chatId: String(dm.id), isDirect: true },
      sender: { userId: '1002', displayName: 'Bob' },
    });
    // Nobody sent a pressAck: the adapter stops the spinner itself, without a toast.
    const answer = await fake.waitFor(() => fake.answerOf(press.callback_query!.id), 3000, 'fallback answer');
    expect(answer.text).toBeUndefined();
  });

  it('does not move past an update while the queue is down, then hands it on exactly once', async () => {
    refuse = 3;
    const update = fake.userSends(alice, fake.privateChat(alice), '/taches')!;
    const event = await eventFor(update.update_id);
    expect(refuse).toBe(0);
    expect(events.filter((e) => e.id === event.id)).toHaveLength(1);
    // Telegram was never told to forget it before it was queued.
    const polls = fake.callsOf('getUpdates').filter((c) => c.payload.offset !== undefined && Number(c.payload.offset) > update.update_id);
    expect(polls.length).toBeGreaterThan(0);
    await fake.waitFor(() => fake.pendingUpdates().length === 0, 3000, 'confirmation');
  });

  it('confirms its offset when stopped, so a restarted adapter does not fetch the same updates again', async () => {
    const dm = fake.privateChat(alice);
    const before = fake.userSends(alice, dm, '/aide')!;
    await eventFor(before.update_id);
    await adapter.stop();
    expect(fake.pendingUpdates()).toHaveLength(0);
    const after = fake.userSends(alice, dm, '/tableau')!;
    events = [];
    adapter = await start();
    await eventFor(after.update_id);
    await new Promise((r) => setTimeout(r, 100));
    expect(events.map((e) => e.id)).toEqual([`telegram-${fake.bot.id}-${after.update_id}`]);
  });

  it('is built from PILOTE_ADAPTERS=telegram, polling unless both webhook variables are set', async () => {
    const env = { PILOTE_ADAPTERS: 'telegram', TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, LOG_LEVEL: 'silent' };
    const host = { settle: async () => undefined };
    const [polling] = await createAdapters(loadConfig(env), host);
    expect(polling).toBeInstanceOf(TelegramAdapter);
    expect(polling!.routes!()).toEqual([]);
    const hooked = await createAdapters(
      loadConfig({ ...env, TELEGRAM_WEBHOOK_URL: 'https://pilote.example.org/telegram/k3y?x=1', TELEGRAM_WEBHOOK_SECRET: 'abc' }),
      host,
    );
    expect(hooked[0]!.routes!().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /telegram/k3y']);
  });
});
