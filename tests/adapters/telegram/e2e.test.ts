/**
 * Telegram end to end, in long-polling mode: fake Bot API → grammY → adapter → inbound queue →
 * core → outbox → delivery worker → adapter → grammY → fake Bot API, with the real PostgreSQL
 * and Redis of the harness.
 */
import type { Chat } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../../fakes/telegram.js';
import { startTelegramHarness, type TelegramHarness } from './helpers.js';

describe('Telegram end to end (long polling)', () => {
  let t: TelegramHarness;
  const claire = FakeTelegram.user(3001, 'Claire', { last_name: 'Martin', username: 'claire_m', language_code: 'fr' });
  const paul = FakeTelegram.user(3002, 'Paul', { username: 'paul_l', language_code: 'fr' });
  const sophie = FakeTelegram.user(3004, 'Sophie', { username: 'sophie_b', language_code: 'fr' });
  let council: Chat;

  beforeAll(async () => {
    t = await startTelegramHarness('telegram-e2e');
    await t.link('maire', claire);
    await t.link('adjoint', paul);
    await t.link('agent', sophie);
    council = t.fake.group(-100_4001, 'Conseil municipal');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('links an account with a code sent in a private chat, in the language Telegram reports', async () => {
    const { h, fake } = t;
    const invite = await h.say('maire', '/inviter conseiller Luc Moreau');
    const code = /([2-9A-Z]{4}-[2-9A-Z]{4})/.exec(invite)?.[1];
    expect(code).toBeDefined();
    const luc = FakeTelegram.user(3005, 'Luc', { username: 'luc_m', language_code: 'en' });
    const dm = fake.privateChat(luc);
    await t.handled(fake.userSends(luc, dm, `/lier ${code}`));
    expect(fake.botMessages(dm).at(-1)!.text).toContain('Welcome Luc Moreau! Your account is linked to Saint-Pilote');
    const identity = await h.prisma.chatIdentity.findUnique({
      where: { platform_workspace_userId: { platform: 'TELEGRAM', workspace: '', userId: '3005' } },
      include: { member: true },
    });
    expect(identity).toMatchObject({ username: 'luc_m', directChatId: '3005', member: { displayName: 'Luc Moreau', role: 'COUNCILLOR', locale: 'en' } });
  });

  it('binds the council group with /salon and creates a task with /tache@PiloteBot, escaping what the user wrote', async () => {
    const { h, fake } = t;
    await t.handled(fake.userSends(claire, council, '/salon@PiloteBot'));
    expect(fake.botMessages(council.id).at(-1)!.text).toContain('Ce salon est maintenant le salon du conseil de Saint-Pilote');
    expect(await h.prisma.roomBinding.findFirst({ where: { platform: 'TELEGRAM', chatId: String(council.id) } })).toMatchObject({ purpose: 'COUNCIL' });

    const title = 'Réparer <script>alert(1)</script> & le <b>lampadaire</b>';
    await t.handled(fake.userSends(claire, council, `/tache@PiloteBot ${title} @paul_l`));
    const task = await h.prisma.task.findFirstOrThrow({ where: { title: { startsWith: 'Réparer <script>' } } });
    expect(task).toMatchObject({ createdVia: 'TELEGRAM', assigneeId: h.demo.members.adjoint });
    const reply = fake.botMessages(council.id).at(-1)!;
    expect(reply.text).toContain(`Tâche #${task.number} créée : ${title}`);
    expect(reply.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; le &lt;b&gt;lampadaire&lt;/b&gt;');
    expect(reply.entities.some((e) => e.type === 'bold')).toBe(true);
    expect(reply.reply_markup!.inline_keyboard.flat()).toEqual([
      { text: '✅ Fait', callback_data: `task.done:${task.id}` },
      { text: '⏰ Reporter (1 jour)', callback_data: `task.snooze:${task.id}` },
    ]);
    // Paul hears of it in his private chat, with the same buttons.
    const told = fake.botMessages(paul.id).at(-1)!;
    expect(told.text).toContain(`Claire Martin vous confie la tâche #${task.number}`);
    expect(told.reply_markup!.inline_keyboard.flat().map((b) => ('callback_data' in b ? b.callback_data : undefined))).toEqual([`task.done:${task.id}`, `task.snooze:${task.id}`]);
  });

  it('answers ✅ with a toast and edits the pressed message, without its keyboard', async () => {
    const { h, fake } = t;
    const task = await h.prisma.task.findFirstOrThrow({ where: { title: { startsWith: 'Réparer <script>' } } });
    const message = fake.botMessages(council.id).find((m) => m.reply_markup?.inline_keyboard.flat().some((b) => 'callback_data' in b && b.callback_data === `task.done:${task.id}`))!;
    const press = fake.press(paul, council.id, message.message_id, '✅ Fait');
    await t.handled(press);
    expect(fake.answerOf(press.callback_query!.id)?.text).toBe('Fait !');
    const edited = fake.botMessages(council.id).find((m) => m.message_id === message.message_id)!;
    expect(edited.text).toContain(`#${task.number} Réparer <script>alert(1)</script>`);
    expect(edited.text).toContain('fait par Paul Lefèvre');
    expect(edited.reply_markup).toBeUndefined();
    expect(edited.edits).toBe(1);
    expect(await h.prisma.task.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ status: 'DONE', completedById: h.demo.members.adjoint });
  });

  it('handles a redelivered update once, also across a restart of the poller', async () => {
    const { h, fake, adapter } = t;
    const chat = fake.privateChat(claire);
    const update = fake.userSends(claire, chat, '/tache Commander du sel de déneigement')!;
    await t.handled(update);
    const replies = () => fake.botMessages(chat).filter((m) => m.text.includes('Commander du sel')).length;
    expect(replies()).toBe(1);

    // Telegram sends the same update_id again (its acknowledgement was lost).
    fake.redeliver(update);
    await fake.waitFor(() => fake.pendingUpdates().length === 0, 5000, 'the redelivered update to be fetched');
    // And again after a restart that did not get to confirm it.
    await adapter.stop();
    fake.redeliver(update);
    await adapter.startReceiving(h.app.submit);
    await fake.waitFor(() => fake.pendingUpdates().length === 0, 5000, 'the update to be fetched after the restart');
    await t.handled(fake.userSends(claire, chat, '/aide'));
    expect(replies()).toBe(1);
    expect(await h.prisma.task.count({ where: { title: 'Commander du sel de déneigement' } })).toBe(1);
  });

  it('answers in the forum topic the command came from', async () => {
    const { fake } = t;
    const forum = fake.group(-100_4002, 'Mairie de Saint-Pilote', 'forum');
    const voirie = fake.createTopic(forum, 'Voirie', claire);
    const other = fake.createTopic(forum, 'Écoles', claire);
    await t.handled(fake.userSends(claire, forum, '/tache@PiloteBot Boucher le nid-de-poule', { threadId: voirie }));
    expect(fake.botMessages(forum, voirie).map((m) => m.text).join('\n')).toContain('Boucher le nid-de-poule');
    expect(fake.botMessages(forum, other)).toHaveLength(0);
    expect(fake.botMessages(forum).every((m) => m.message_thread_id === voirie)).toBe(true);
  });

  it('splits a long answer into several messages under 4,096 characters', async () => {
    const { h, fake } = t;
    const titles = Array.from({ length: 20 }, (_, i) => `Inventaire ${String(i).padStart(2, '0')} : ${'matériel communal à recenser '.repeat(9).trim()}`);
    await h.prisma.task.createMany({
      data: titles.map((title, i) => ({ communeId: h.demo.communeId, number: 900 + i, title, createdById: h.demo.members.maire, createdVia: 'TELEGRAM' as const })),
    });
    const chat = fake.privateChat(claire);
    const before = fake.botMessages(chat).length;
    await t.handled(fake.userSends(claire, chat, '/taches toutes'));
    const parts = fake.botMessages(chat).slice(before);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const p of parts) expect(p.text.length).toBeLessThanOrEqual(4096);
    const all = parts.map((p) => p.text).join('\n');
    expect(all.startsWith('📋 Tâches ouvertes')).toBe(true);
    // Cut between lines: every task line is whole, in one part.
    for (const title of titles.slice(0, 12)) expect(parts.filter((p) => p.text.includes(title))).toHaveLength(1);
  });

  it('marks a member who blocked the bot as unreachable (403), and still answers in the group', async () => {
    const { h, fake } = t;
    fake.block(sophie);
    const update = fake.userSends(claire, council, '/tache@PiloteBot Vérifier la chaudière @sophie_b');
    await t.handled(update);
    expect(fake.botMessages(council.id).at(-1)!.text).toContain('Vérifier la chaudière');
    const identity = await h.prisma.chatIdentity.findUniqueOrThrow({
      where: { platform_workspace_userId: { platform: 'TELEGRAM', workspace: '', userId: String(sophie.id) } },
    });
    expect(identity.unreachableAt).not.toBeNull();
    const row = await h.prisma.outboxMessage.findFirstOrThrow({ where: { sourceEventKey: t.eventId(update), chatId: String(sophie.id) } });
    expect(row.status).toBe('FAILED');
    expect(row.lastError).toContain('blocked by the user');
    expect(fake.botMessages(sophie.id)).toHaveLength(0);
  });

  it('marks a bound group that removed the bot as unreachable (403)', async () => {
    const { h, fake } = t;
    const agents = fake.group(-100_4004, 'Agents de la mairie');
    await t.handled(fake.userSends(claire, agents, '/salon@PiloteBot agents'));
    const update = fake.userSends(claire, agents, '/taches@PiloteBot');
    fake.kick(agents);
    await t.handled(update);
    const room = await h.prisma.roomBinding.findFirstOrThrow({ where: { platform: 'TELEGRAM', chatId: String(agents.id) } });
    expect(room.purpose).toBe('AGENTS');
    expect(room.unreachableAt).not.toBeNull();
    expect(fake.botMessages(agents)).toHaveLength(1);
  });

  it('gets every message through a 429 storm, after retry_after, none lost or doubled', async () => {
    const { h, fake } = t;
    const storm = fake.group(-100_4003, 'Commission travaux');
    fake.floodControl(storm, 2, 1);
    const titles = Array.from({ length: 6 }, (_, i) => `Orage ${i + 1}`);
    const updates = titles.map((title) => fake.userSends(claire, storm, `/tache@PiloteBot ${title}`));
    for (const u of updates) await t.handled(u);
    const texts = fake.botMessages(storm).map((m) => m.text);
    for (const title of titles) expect(texts.filter((x) => x.includes(`créée : ${title}\n`))).toHaveLength(1);
    expect(texts).toHaveLength(6);

    const calls = fake.callsOf('sendMessage').filter((c) => Number(c.payload.chat_id) === storm.id);
    const refused = calls.filter((c) => c.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    // Each message came back only once its retry_after (1 s) had passed.
    for (const title of titles) {
      const tries = calls.filter((c) => String(c.payload.text).includes(`${title}\n`));
      for (let i = 1; i < tries.length; i++) {
        if (tries[i - 1]!.status === 429) expect(tries[i]!.at - tries[i - 1]!.at).toBeGreaterThanOrEqual(950);
      }
      expect(tries.filter((c) => c.status === 200)).toHaveLength(1);
    }
    const rows = await h.prisma.outboxMessage.findMany({ where: { chatId: String(storm.id) } });
    expect(rows.map((r) => r.status)).toEqual(Array(6).fill('SENT'));
  });
});
