/**
 * The Matrix adapter end to end: the real matrix-bot-sdk syncing with the fake homeserver, the
 * real queues, workers and database. A newcomer links from a direct chat; a linked member brings
 * the bot into a room, binds it, creates tasks and presses their buttons with a reaction or a
 * numbered reply; what the bot must not answer stays unanswered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKey } from '../../../adapters/matrix/inbound.js';
import { scheduleReminders } from '../../../src/jobs/reminders.js';
import type { FakeEvent } from '../../fakes/matrix.js';
import { SERVER, startMatrix, type MatrixSetup } from './setup.js';

const isEditOf = (e: FakeEvent, id: string) => (e.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined)?.event_id === id && (e.content['m.relates_to'] as { rel_type?: string }).rel_type === 'm.replace';

describe('matrix adapter, end to end', () => {
  let m: MatrixSetup;
  let claire: string;
  let paul: string;
  let room: string;
  let taskMessage: FakeEvent;
  let snoozed: FakeEvent;
  let lucie: string;
  let lucieDm: string;

  beforeAll(async () => {
    m = await startMatrix('matrix-flow');
    claire = m.hs.addUser('claire', { displayName: 'Claire Martin' });
    paul = m.hs.addUser('paul', { displayName: 'Paul Lefèvre' });
    await m.link('maire', claire);
    await m.link('adjoint', paul);
  });
  afterAll(async () => {
    await m?.stop();
  });

  const edits = (roomId: string, id: string) => m.hs.messagesFrom(roomId, m.bot).filter((e) => isEditOf(e, id));
  const task = (n: number) => m.h.prisma.task.findFirst({ where: { communeId: m.h.demo.communeId, number: n }, include: { assignee: true } });

  it('accepts a newcomer’s direct chat, links them with !lier CODE, then takes plain text and bare numbers', async () => {
    const out = await m.h.say('maire', '/inviter conseiller Lucie Moreau');
    const code = /lier ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(out)?.[1];
    expect(code).toBeDefined();
    lucie = m.hs.addUser('lucie', { displayName: 'Lucie M.' });
    const dm = m.hs.createRoom(lucie, { direct: true, invite: [m.bot] });
    lucieDm = dm;

    await m.hs.waitFor(() => m.hs.membership(dm, m.bot) === 'join', 10_000, 'the bot joining the direct chat');
    expect((await m.botMessage(dm, 0)).content.body).toContain('lier CODE');

    m.hs.say(dm, lucie, `!lier ${code}`);
    const linked = await m.botMessage(dm, 1);
    expect(linked.content).toMatchObject({ msgtype: 'm.notice', format: 'org.matrix.custom.html' });
    expect(linked.content.body).toContain('Bienvenue Lucie Moreau');
    expect(linked.content.body).toContain('Tapez !aide');
    expect(linked.content.formatted_body).toContain('<b>Saint-Pilote</b>');
    const identity = await m.h.prisma.chatIdentity.findUnique({
      where: { platform_workspace_userId: { platform: 'MATRIX', workspace: SERVER, userId: lucie } },
      include: { member: true },
    });
    expect(identity).toMatchObject({ directChatId: dm, member: { displayName: 'Lucie Moreau', role: 'COUNCILLOR' } });

    // In a direct chat, plain text is a command, and a bare number presses the last buttons.
    m.hs.say(dm, lucie, 'tache Préparer les affiches du marché');
    const created = await m.botMessage(dm, 2);
    expect(created.content.body).toContain('Préparer les affiches du marché');
    await m.hs.waitFor(() => m.hs.reactionsOn(dm, created.event_id, m.bot).length === 2, 5000, 'the ✅ ⏰ reactions');
    m.hs.say(dm, lucie, '1');
    const edit = await m.hs.waitFor(() => edits(dm, created.event_id)[0], 10_000, 'the edit after pressing 1');
    expect((edit.content['m.new_content'] as { body: string }).body).toContain('fait par Lucie Moreau');
    const done = await m.h.prisma.task.findFirst({ where: { title: 'Préparer les affiches du marché' } });
    expect(done?.status).toBe('DONE');
  });

  it('joins a group room when a linked member invites it, ignores the history, and binds the room with !salon', async () => {
    room = m.hs.createRoom(claire, { name: 'Conseil municipal' });
    m.hs.say(room, claire, '!taches — écrit avant l’arrivée du bot');
    m.hs.invite(room, claire, m.bot);
    await m.hs.waitFor(() => m.hs.membership(room, m.bot) === 'join', 10_000, 'the bot joining the room');
    expect((await m.botMessage(room, 0)).content.body).toContain('!salon');

    m.hs.say(room, claire, '!salon');
    const bound = await m.botMessage(room, 1);
    expect(bound.content.body).toContain('Ce salon est maintenant le salon du conseil de Saint-Pilote');
    const binding = await m.h.prisma.roomBinding.findUnique({ where: { platform_workspace_chatId: { platform: 'MATRIX', workspace: SERVER, chatId: room } } });
    expect(binding).toMatchObject({ purpose: 'COUNCIL', communeId: m.h.demo.communeId });
    // The message from before the bot joined got no answer.
    expect(m.botMessages(room)).toHaveLength(2);
  });

  it('creates a task from !pilote tache with a pill, as a notice with ✅ ⏰ reactions and a numbered hint', async () => {
    m.hs.say(room, claire, '!pilote tache Réparer le lampadaire Paul Lefèvre pour demain 17h', {
      html: `!pilote tache Réparer le lampadaire <a href="https://matrix.to/#/${encodeURIComponent(paul)}">Paul Lefèvre</a> pour demain 17h`,
    });
    taskMessage = await m.botMessage(room, 2);
    const body = taskMessage.content.body as string;
    expect(body).toContain('Réparer le lampadaire');
    expect(body).toContain('Paul Lefèvre');
    expect(body).toMatch(/1\. ✅ Fait · 2\. ⏰ Reporter \(1 jour\)\nRépondez 1 ou 2, ou réagissez ✅ ⏰$/);
    expect(taskMessage.content).toMatchObject({ msgtype: 'm.notice', format: 'org.matrix.custom.html', 'org.pilote.buttons': ['✅', '⏰'] });
    expect(taskMessage.content.formatted_body).toMatch(/<b>#\d+<\/b>/);
    expect(taskMessage.content.formatted_body).not.toMatch(/<(?!\/?(b|i|code|br)>)/);
    const reactions = await m.hs.waitFor(() => {
      const r = m.hs.reactionsOn(room, taskMessage.event_id, m.bot);
      return r.length === 2 ? r : undefined;
    }, 5000, 'the bot’s reactions');
    expect(reactions.map((r) => (r.content['m.relates_to'] as { key: string }).key)).toEqual(['✅', '⏰']);
    const n = Number(/#(\d+)/.exec(body)![1]);
    const created = await task(n);
    expect(created).toMatchObject({ title: 'Réparer le lampadaire', createdVia: 'MATRIX', assignee: { displayName: 'Paul Lefèvre' } });
    expect(created?.dueAt).toBeInstanceOf(Date);
  });

  it('completes the task when a member reacts ✅: the message is edited and the bot’s reactions go', async () => {
    m.hs.react(room, claire, taskMessage.event_id, '✅\ufe0f');
    const edit = await m.hs.waitFor(() => edits(room, taskMessage.event_id)[0], 10_000, 'the edit');
    const inner = edit.content['m.new_content'] as Record<string, unknown>;
    expect(inner.body).toContain('fait par Claire Martin');
    expect(inner['org.pilote.buttons']).toBeUndefined();
    expect(edit.content.body).toMatch(/^\* /);
    await m.hs.waitFor(() => m.hs.reactionsOn(room, taskMessage.event_id, m.bot).length === 0, 5000, 'the reactions redacted');
    const n = Number(/#(\d+)/.exec(taskMessage.content.body as string)![1]);
    expect((await task(n))?.status).toBe('DONE');
    // No new message: the press answered by editing.
    expect(m.botMessages(room)).toHaveLength(3);
  });

  it('presses a button with a numbered reply, and maps a plain @user:server mention', async () => {
    m.hs.say(room, claire, `!tache Tailler la haie du cimetière ${paul}`);
    const msg = await m.botMessage(room, 3);
    snoozed = msg;
    const n = Number(/#(\d+)/.exec(msg.content.body as string)![1]);
    expect((await task(n))?.assignee?.displayName).toBe('Paul Lefèvre');
    m.hs.say(room, paul, `> <${m.bot}> Tâche #${n}\n\n2`, { replyTo: msg.event_id });
    const edit = await m.hs.waitFor(() => edits(room, msg.event_id)[0], 10_000, 'the snooze edit');
    expect((edit.content['m.new_content'] as { body: string }).body).toContain(`#${n}`);
    expect((edit.content['m.new_content'] as Record<string, unknown>)['org.pilote.buttons']).toEqual(['✅', '⏰']);
    expect((await task(n))?.dueAt).toBeInstanceOf(Date);
    // The buttons stay: the bot's two reactions are still there, not put twice.
    await new Promise((r) => setTimeout(r, 200));
    expect(m.hs.reactionsOn(room, msg.event_id, m.bot)).toHaveLength(2);
  });

  it('gets a reminder in the direct chat, with ✅ ⏰ reactions that press its buttons', async () => {
    const before = m.botMessages(lucieDm).length;
    m.hs.say(lucieDm, lucie, '!rappel demain 9h appeler le SDIS');
    expect((await m.botMessage(lucieDm, before)).content.body).toContain('Rappel n°');
    const reminder = await m.h.prisma.reminder.findFirstOrThrow({ where: { kind: 'USER', text: 'appeler le SDIS' } });
    // Bring the firing to now, as the reconciler would for a reminder that is due.
    await m.h.prisma.reminder.update({ where: { id: reminder.id }, data: { nextAt: new Date(Date.now() + 200) } });
    await scheduleReminders(m.h.prisma, m.h.app.queues, [reminder.id], m.h.app.services.clock);
    const fired = await m.botMessage(lucieDm, before + 1);
    expect(fired.content.body).toMatch(/^🔔 Rappel : appeler le SDIS\n1\. ✅ Fait · 2\. ⏰ Reporter/);
    expect(fired.content.formatted_body).toContain('<b>Rappel</b>');
    await m.hs.waitFor(() => m.hs.reactionsOn(lucieDm, fired.event_id, m.bot).length === 2, 5000, 'the reminder’s reactions');
    m.hs.react(lucieDm, lucie, fired.event_id, '✅');
    const edit = await m.hs.waitFor(() => edits(lucieDm, fired.event_id)[0], 10_000, 'the reminder edited');
    expect((edit.content['m.new_content'] as { body: string }).body).toBe('✅ Rappel noté : appeler le SDIS');
    await m.hs.waitFor(() => m.hs.reactionsOn(lucieDm, fired.event_id, m.bot).length === 0, 5000, 'the reactions redacted');
  });

  it('ignores chatter, reactions on people’s messages, edits and its own messages; handles each event once', async () => {
    const before = m.botMessages(room).length;
    const handled = await m.h.prisma.handledEvent.count();
    const chat = m.hs.say(room, claire, 'Bonjour à tous, réunion jeudi');
    m.hs.react(room, paul, chat, '✅');
    // On a bot message that has ✅ ⏰, a 👍 is not one of its buttons; nor is a reply with 7.
    m.hs.react(room, paul, snoozed.event_id, '👍');
    m.hs.say(room, paul, '7', { replyTo: snoozed.event_id });
    m.hs.send(room, claire, 'm.room.message', {
      msgtype: 'm.text',
      body: '* !taches',
      'm.new_content': { msgtype: 'm.text', body: '!taches' },
      'm.relates_to': { rel_type: 'm.replace', event_id: chat },
    });
    m.hs.say(room, m.bot, '!taches');
    m.hs.send(room, paul, 'm.room.message', { msgtype: 'm.notice', body: '!taches' });
    const last = m.hs.say(room, claire, '!aide salon');
    const answer = await m.botMessage(room, before);
    expect(answer.content.body).toContain('salon');
    await m.h.app.settle(eventKey(last));
    await new Promise((r) => setTimeout(r, 300));
    expect(m.botMessages(room)).toHaveLength(before + 1);
    expect(await m.h.prisma.handledEvent.count()).toBe(handled + 1);
    expect(await m.h.prisma.handledEvent.findUnique({ where: { key: eventKey(last) } })).not.toBeNull();
  });
});
