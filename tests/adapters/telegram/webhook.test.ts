/**
 * Telegram in webhook mode: the adapter sets its webhook with a secret, the fake Bot API POSTs
 * updates to the app's HTTP server, and only requests carrying the secret get in.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramAdapter, TelegramAdapter } from '../../../adapters/telegram/index.js';
import { secretMatches } from '../../../adapters/telegram/webhook.js';
import { QueueUnavailableError } from '../../../src/app.js';
import { buildRouter } from '../../../src/commands/index.js';
import type { InboundEvent } from '../../../src/core/types.js';
import { FakeTelegram } from '../../fakes/telegram.js';
import { takenEventIds } from '../../helpers/harness.js';
import { freePort } from '../../helpers/processes.js';
import { startTelegramHarness, type TelegramHarness } from './helpers.js';

const SECRET = 'S3cret_webhook-Value_0123456789';

describe('Telegram end to end (webhook)', () => {
  let t: TelegramHarness;
  let hookUrl: string;
  const claire = FakeTelegram.user(5001, 'Claire', { username: 'claire_m', language_code: 'fr' });

  beforeAll(async () => {
    const fake = await FakeTelegram.start({ webhookRetryMs: 100 });
    const port = await freePort();
    hookUrl = `http://127.0.0.1:${port}/telegram/${fake.bot.id}`;
    t = await startTelegramHarness('telegram-webhook', {
      fake,
      env: { HTTP_PORT: String(port), TELEGRAM_WEBHOOK_URL: hookUrl, TELEGRAM_WEBHOOK_SECRET: SECRET },
      adapter: (config) => createTelegramAdapter(config, { commands: buildRouter().commands }),
    });
    await t.link('maire', claire);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const post = (headers: Record<string, string>, body: unknown, method = 'POST') =>
    fetch(hookUrl, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'POST' ? { body: JSON.stringify(body) } : {}) });

  it('sets its webhook with the secret and the update kinds it handles, and never polls', () => {
    const { fake } = t;
    expect(fake.callsOf('setWebhook').at(-1)!.payload).toMatchObject({
      url: hookUrl,
      secret_token: SECRET,
      allowed_updates: ['message', 'callback_query'],
    });
    expect(fake.callsOf('getUpdates')).toHaveLength(0);
    expect(fake.callsOf('deleteWebhook')).toHaveLength(0);
    expect(fake.commandsFor()?.some((c) => c.command === 'tache')).toBe(true);
  });

  it('receives updates on the webhook path and answers them', async () => {
    const { fake } = t;
    const chat = fake.privateChat(claire);
    const update = fake.userSends(claire, chat, '/tache Nettoyer le lavoir');
    await t.handled(update);
    expect(fake.botMessages(chat).at(-1)!.text).toContain('Nettoyer le lavoir');
    expect(fake.webhookDeliveries.find((d) => d.updateId === update!.update_id)?.status).toBe(200);

    const msg = fake.botMessages(chat).at(-1)!;
    const press = fake.press(claire, chat.id, msg.message_id, '✅ Fait');
    await t.handled(press);
    expect(fake.answerOf(press.callback_query!.id)?.text).toBe('Fait !');
    expect(fake.botMessages(chat).find((m) => m.message_id === msg.message_id)!.reply_markup).toBeUndefined();
  });

  it('refuses forged calls (no secret, a wrong one, a longer one) before anything is queued', async () => {
    const { h } = t;
    const forged = {
      update_id: 999_999_001,
      message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: claire.id, type: 'private', first_name: 'Claire' }, from: claire, text: '/tache Virement frauduleux' },
    };
    const wrongSameLength = SECRET.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'));
    const attempts: Record<string, string>[] = [
      {},
      { 'x-telegram-bot-api-secret-token': wrongSameLength },
      { 'x-telegram-bot-api-secret-token': `${SECRET}0` },
      { 'x-telegram-bot-api-secret-token': '' },
    ];
    for (const headers of attempts) {
      const res = await post(headers, forged);
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    expect((await post({ 'x-telegram-bot-api-secret-token': SECRET }, undefined, 'GET')).status).toBe(405);
    await new Promise((r) => setTimeout(r, 300));
    const key = `telegram-${t.fake.bot.id}-${forged.update_id}`;
    expect(await takenEventIds(h.app)).not.toContain(key);
    expect(await h.prisma.handledEvent.findUnique({ where: { key } })).toBeNull();
    expect(await h.prisma.task.count({ where: { title: 'Virement frauduleux' } })).toBe(0);
  });

  it('compares the secret in constant time over equal-length digests', () => {
    expect(secretMatches(SECRET, SECRET)).toBe(true);
    expect(secretMatches(undefined, SECRET)).toBe(false);
    expect(secretMatches([SECRET, SECRET], SECRET)).toBe(false);
    expect(secretMatches(SECRET.slice(1), SECRET)).toBe(false);
  });
});

describe('Telegram webhook while the queue is down', () => {
  let fake: FakeTelegram;
  let adapter: TelegramAdapter;
  let server: Server;
  const events: InboundEvent[] = [];
  let refuse = 2;

  beforeAll(async () => {
    fake = await FakeTelegram.start({ webhookRetryMs: 50 });
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tg`;
    adapter = new TelegramAdapter({ token: fake.token, apiRoot: fake.apiRoot, webhook: { url, secret: SECRET } });
    const [route] = adapter.routes();
    server.on('request', (req, res) => void route!.handler(req, res));
    await adapter.startReceiving(async (event) => {
      if (refuse-- > 0) throw new QueueUnavailableError('connecting');
      events.push(event);
    });
  });
  afterAll(async () => {
    await adapter?.stop();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await fake?.close();
  });

  it('answers 503 so that Telegram posts the update again, then takes it once', async () => {
    const alice = FakeTelegram.user(6001, 'Alice');
    const update = fake.userSends(alice, fake.privateChat(alice), '/aide')!;
    // The event is taken before the 200 reaches the fake: wait for the fake to note that answer too.
    await fake.waitFor(() => events.length === 1 && fake.webhookDeliveries.length >= 3, 5000, 'the update to get through');
    expect(events[0]!.id).toBe(`telegram-${fake.bot.id}-${update.update_id}`);
    expect(fake.webhookDeliveries.map((d) => d.status)).toEqual([503, 503, 200]);
    expect(fake.pendingUpdates()).toHaveLength(0);
  });
});
