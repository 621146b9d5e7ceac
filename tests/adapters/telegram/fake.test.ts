/**
 * The fake Bot API itself, driven by grammY's real API client: if it did not behave like
 * Telegram where the adapter depends on it, the adapter's tests would prove nothing.
 */
import { Api, GrammyError, HttpError } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../../fakes/telegram.js';

describe('the fake Telegram Bot API', () => {
  let fake: FakeTelegram;
  let api: Api;
  const alice = FakeTelegram.user(501, 'Alice', { username: 'alice_m', language_code: 'fr' });

  beforeAll(async () => {
    fake = await FakeTelegram.start({ callbackTtlMs: 500 });
    api = new Api(fake.token, { apiRoot: fake.apiRoot });
  });
  afterAll(async () => {
    await fake?.close();
  });

  const apiError = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GrammyError);
    return err as GrammyError;
  };

  it('answers getMe and refuses a wrong token with 401', async () => {
    expect(await api.getMe()).toMatchObject({ id: fake.bot.id, username: 'PiloteBot', is_bot: true });
    const wrong = new Api('123:nope', { apiRoot: fake.apiRoot });
    expect((await apiError(wrong.getMe())).error_code).toBe(401);
  });

  it('gives updates in update_id order and forgets those below the offset', async () => {
    const dm = fake.privateChat(alice);
    const a = fake.userSends(alice, dm, '/aide')!;
    const b = fake.userSends(alice, dm, 'bonjour')!;
    expect(b.update_id).toBe(a.update_id + 1);
    const first = await api.getUpdates({ timeout: 0 });
    expect(first.map((u) => u.update_id)).toEqual([a.update_id, b.update_id]);
    // Not confirmed yet: the same updates again.
    expect((await api.getUpdates({ timeout: 0 })).map((u) => u.update_id)).toEqual([a.update_id, b.update_id]);
    expect((await api.getUpdates({ offset: b.update_id, timeout: 0 })).map((u) => u.update_id)).toEqual([b.update_id]);
    expect(await api.getUpdates({ offset: b.update_id + 1, timeout: 0 })).toEqual([]);
    expect(fake.pendingUpdates()).toHaveLength(0);
    expect(first[0]!.message).toMatchObject({ text: '/aide', entities: [{ type: 'bot_command', offset: 0, length: 5 }], from: { language_code: 'fr' } });
  });

  it('holds a long poll until an update arrives, and returns empty at the timeout', async () => {
    const dm = fake.privateChat(alice);
    const started = Date.now();
    const poll = api.getUpdates({ timeout: 5 });
    setTimeout(() => fake.userSends(alice, dm, 'ping'), 150);
    const got = await poll;
    expect(got.map((u) => u.message?.text)).toEqual(['ping']);
    expect(Date.now() - started).toBeLessThan(3000);
    await api.getUpdates({ offset: got[0]!.update_id + 1, timeout: 0 });
    const t0 = Date.now();
    expect(await api.getUpdates({ timeout: 1 })).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('ends a waiting getUpdates with 409 when another one starts, and refuses polling while a webhook is set', async () => {
    const waiting = apiError(api.getUpdates({ timeout: 5 }));
    await fake.waitFor(() => fake.callsOf('getUpdates').some((c) => c.status === 0));
    await api.getUpdates({ timeout: 0 });
    expect((await waiting).error_code).toBe(409);
    await api.setWebhook('http://127.0.0.1:9/hook', { secret_token: 'abc_DEF-123' });
    expect((await apiError(api.getUpdates({ timeout: 0 }))).description).toMatch(/webhook is active/);
    expect((await apiError(api.setWebhook('http://127.0.0.1:9/hook', { secret_token: 'bad secret!' }))).error_code).toBe(400);
    await api.deleteWebhook();
    expect(await api.getUpdates({ timeout: 0 })).toEqual([]);
  });

  it('parses HTML like Telegram and refuses unbalanced or unknown tags', async () => {
    const dm = fake.privateChat(alice);
    const sent = await api.sendMessage(dm.id, '<b>Gras</b> &amp; <i>it</i> &lt;script&gt;', { parse_mode: 'HTML' });
    expect(sent.text).toBe('Gras & it <script>');
    expect(sent.entities).toEqual([
      { type: 'bold', offset: 0, length: 4 },
      { type: 'italic', offset: 7, length: 2 },
    ]);
    expect((await apiError(api.sendMessage(dm.id, '<b>gras', { parse_mode: 'HTML' }))).description).toMatch(/Can't find end tag corresponding to start tag "b"/);
    expect((await apiError(api.sendMessage(dm.id, '<b><i>x</b></i>', { parse_mode: 'HTML' }))).description).toMatch(/Unmatched end tag/);
    expect((await apiError(api.sendMessage(dm.id, 'a <script>x</script>', { parse_mode: 'HTML' }))).description).toMatch(/Unsupported start tag "script"/);
    expect((await apiError(api.sendMessage(dm.id, 'Tom & Jerry', { parse_mode: 'HTML' }))).description).toMatch(/can't parse entities/);
    expect((await apiError(api.sendMessage(dm.id, 'x'.repeat(4097)))).description).toBe('Bad Request: message is too long');
    // 4,096 visible characters are fine even when the HTML is longer.
    await api.sendMessage(dm.id, '&lt;'.repeat(4096), { parse_mode: 'HTML' });
  });

  it('checks callback data, edits, drops the keyboard of an edit without one, and says "not modified"', async () => {
    const dm = fake.privateChat(alice);
    const tooLong = { inline_keyboard: [[{ text: 'x', callback_data: 'é'.repeat(33) }]] };
    expect((await apiError(api.sendMessage(dm.id, 'x', { reply_markup: tooLong }))).description).toMatch(/BUTTON_DATA_INVALID/);
    const keyboard = { inline_keyboard: [[{ text: '✅ Fait', callback_data: 'task.done:abc' }]] };
    const msg = await api.sendMessage(dm.id, 'Tâche', { reply_markup: keyboard });
    expect((await apiError(api.editMessageText(dm.id, msg.message_id, 'Tâche', { reply_markup: keyboard }))).description).toMatch(/message is not modified/);
    await api.editMessageText(dm.id, msg.message_id, 'Tâche faite');
    const stored = fake.botMessages(dm).find((m) => m.message_id === msg.message_id)!;
    expect(stored).toMatchObject({ text: 'Tâche faite', edits: 1 });
    expect(stored.reply_markup).toBeUndefined();
    await api.editMessageReplyMarkup(dm.id, msg.message_id, { reply_markup: keyboard });
    expect(fake.botMessages(dm).find((m) => m.message_id === msg.message_id)!.reply_markup).toEqual(keyboard);
    expect((await apiError(api.editMessageText(dm.id, 9999, 'x'))).description).toMatch(/message to edit not found/);
  });

  it('answers a callback query once, and only while it is fresh', async () => {
    const dm = fake.privateChat(alice);
    const msg = await api.sendMessage(dm.id, 'Choix', { reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } });
    const q1 = fake.press(alice, dm.id, msg.message_id, 'A').callback_query!;
    expect(q1.data).toBe('a');
    await api.answerCallbackQuery(q1.id, { text: 'Fait !' });
    expect(fake.answerOf(q1.id)?.text).toBe('Fait !');
    expect((await apiError(api.answerCallbackQuery(q1.id))).description).toMatch(/query is too old/);
    const q2 = fake.press(alice, dm.id, msg.message_id, 0).callback_query!;
    await new Promise((r) => setTimeout(r, 600));
    expect((await apiError(api.answerCallbackQuery(q2.id))).error_code).toBe(400);
  });

  it('keeps commands per language', async () => {
    await api.setMyCommands([{ command: 'aide', description: 'aide' }]);
    await api.setMyCommands([{ command: 'help', description: 'help' }], { language_code: 'en' });
    expect(fake.commandsFor()).toEqual([{ command: 'aide', description: 'aide' }]);
    expect(fake.commandsFor('en')).toEqual([{ command: 'help', description: 'help' }]);
    expect((await apiError(api.setMyCommands([{ command: 'Tâche', description: 'x' }]))).description).toMatch(/BOT_COMMAND_INVALID/);
  });

  it('applies flood control with retry_after, and 403 for a user who blocked the bot', async () => {
    const bob = FakeTelegram.user(502, 'Bob');
    const dm = fake.privateChat(bob);
    fake.floodControl(dm, 1, 1);
    await api.sendMessage(dm.id, 'un');
    const e1 = await apiError(api.sendMessage(dm.id, 'deux'));
    expect(e1).toMatchObject({ error_code: 429, parameters: { retry_after: 1 } });
    expect((await apiError(api.sendMessage(dm.id, 'deux'))).error_code).toBe(429);
    await new Promise((r) => setTimeout(r, 1050));
    await api.sendMessage(dm.id, 'deux');
    expect(fake.botMessages(dm).map((m) => m.text)).toEqual(['un', 'deux']);
    fake.block(bob);
    expect(await apiError(api.sendMessage(dm.id, 'trois'))).toMatchObject({ error_code: 403, description: 'Forbidden: bot was blocked by the user' });
  });

  it('cuts the connection or fails with 5xx on demand', async () => {
    const dm = fake.privateChat(alice);
    fake.fail('sendMessage', 'network');
    await expect(api.sendMessage(dm.id, 'x')).rejects.toBeInstanceOf(HttpError);
    fake.fail('sendMessage', { status: 502, description: 'Bad Gateway', html: true });
    await expect(api.sendMessage(dm.id, 'x')).rejects.toBeInstanceOf(HttpError);
    await api.sendMessage(dm.id, 'x');
  });

  it('hides plain group chatter from a bot in privacy mode, but not commands for it', async () => {
    const group = fake.group(-100_777, 'Conseil');
    expect(fake.userSends(alice, group, 'bonjour à tous')).toBeUndefined();
    expect(fake.userSends(alice, group, '/tache@OtherBot x')).toBeUndefined();
    expect(fake.userSends(alice, group, '/tache@PiloteBot x')).toBeDefined();
    expect(fake.userSends(alice, group, '@PiloteBot aide')).toBeDefined();
  });
});
