/**
 * The Slack adapter end to end in HTTP mode: Bolt runs for real behind Pilote's HTTP server,
 * requests are signed like Slack signs them, and the Web API is the fake in tests/fakes/slack.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackAdapter } from '../../../adapters/slack/index.js';
import type { SlackBlock } from '../../../adapters/slack/render.js';
import { buildRouter } from '../../../src/commands/index.js';
import { createInvitation } from '../../../src/domain/members.js';
import type { Role } from '../../../src/generated/prisma/enums.js';
import { scheduleReminders } from '../../../src/jobs/reminders.js';
import { createLogger } from '../../../src/logger.js';
import { startFakeSlack, type FakeSlack, type SlackCall } from '../../fakes/slack.js';
import { startHarness, takenEventIds, type Harness } from '../../helpers/harness.js';
import { buttonPress, directMessage, eventCallback, postSlack, slackTs, slashCommand, type SignedRequest } from './signed.js';

const SECRET = 'slack-signing-secret-for-tests';
const BOT_TOKEN = 'xoxb-pilote-test-token';
const TEAM = 'T0PILOTE';
const ADELE = { user: 'U0ADELE', dm: 'D0ADELE', name: 'Adèle Roux' };
const PAUL = { user: 'U0PAUL', dm: 'D0PAUL', name: 'Paul Slack' };
const MAIRIE = 'C0MAIRIE';

describe('slack adapter (HTTP mode, Bolt, signed requests)', () => {
  let fake: FakeSlack;
  let h: Harness;
  let port: number;
  let seq = 0;

  beforeAll(async () => {
    fake = await startFakeSlack({
      botToken: BOT_TOKEN,
      teamId: TEAM,
      users: { [ADELE.user]: { name: 'adele', realName: 'Adèle Roux', locale: 'fr-FR' }, [PAUL.user]: { name: 'paul', locale: 'fr-FR' } },
    });
    h = await startHarness('slack-http', {
      env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.url },
      adapters: (config) => [createSlackAdapter(config, createLogger('silent'), buildRouter().commands.flatMap((c) => [c.name, ...c.aliases]))],
    });
    port = h.app.httpPort!;
  });
  afterAll(async () => {
    await h?.stop();
    await fake?.close();
  });

  const post = (req: SignedRequest) => postSlack(port, SECRET, req);
  const nextEventId = () => `Ev0${++seq}TEST`;
  const coreId = (kind: '' | 'cmd-' | 'act-', raw: string) => `slack-${TEAM}-${kind}${raw}`;
  const triggerOf = (req: SignedRequest) => {
    const form = new URLSearchParams(req.body);
    const payload = form.get('payload');
    return payload ? (JSON.parse(payload) as { trigger_id: string }).trigger_id : form.get('trigger_id')!;
  };
  const postsTo = (channel: string): SlackCall[] => fake.ok('chat.postMessage').filter((c) => c.args.channel === channel);
  const lastPostTo = (channel: string) => postsTo(channel).at(-1);
  const textOf = (c: SlackCall | undefined) => String(c?.args.text ?? '');

  /** Sends a signed DM and waits until its replies were delivered. */
  async function dm(from: { user: string; dm: string }, text: string) {
    const id = nextEventId();
    const res = await post(directMessage(TEAM, id, { user: from.user, channel: from.dm, text }));
    expect(res.status).toBe(200);
    await h.app.settle(coreId('', id));
    return id;
  }

  /** Runs `/pilote <text>` and waits until its replies were delivered. */
  async function slash(from: { user: string }, text: string, channel = MAIRIE, channelName?: string) {
    const req = slashCommand({ team: TEAM, channel, user: from.user, text, ...(channelName ? { channelName } : {}) });
    const res = await post(req);
    await h.app.settle(coreId('cmd-', triggerOf(req)));
    return res;
  }

  async function link(who: { user: string; dm: string; name: string }, role: Role) {
    const invitation = await createInvitation(h.prisma, null, { communeId: h.demo.communeId, role, name: who.name, now: new Date() });
    await dm(who, `lier ${invitation.code}`);
  }

  it('answers url_verification with the challenge', async () => {
    const res = await post({ body: JSON.stringify({ token: 'x', challenge: 'chal-123', type: 'url_verification' }), contentType: 'application/json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: 'chal-123' });
  });

  it('links an account with a code sent in a DM, and answers in Block Kit', async () => {
    await link(ADELE, 'DEPUTY');
    const reply = lastPostTo(ADELE.dm);
    expect(textOf(reply)).toContain('Bienvenue Adèle Roux');
    // Command hints are written the way Slack takes them.
    expect(textOf(reply)).toContain('Tapez /pilote aide');
    const blocks = reply!.args.blocks as SlackBlock[];
    expect(blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining('*Saint-Pilote*') } });
    expect(reply!.token).toBe(BOT_TOKEN);
    const identity = await h.prisma.chatIdentity.findUniqueOrThrow({
      where: { platform_workspace_userId: { platform: 'SLACK', workspace: TEAM, userId: ADELE.user } },
      include: { member: true },
    });
    expect(identity.directChatId).toBe(ADELE.dm);
    expect(identity.member.role).toBe('DEPUTY');
    expect(identity.member.locale).toBe('fr');
    await link(PAUL, 'COUNCILLOR');
    expect(textOf(lastPostTo(PAUL.dm))).toContain('Bienvenue Paul Slack');
  });

  let taskId = '';
  let taskMessageTs = '';

  it('creates a task from /pilote with a <@U…> assignee, acknowledging at once', async () => {
    const res = await slash(ADELE, 'tache Réparer le lampadaire rue des Écoles <@U0PAUL|paul> pour vendredi 17h');
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.ms).toBeLessThan(3000);
    const task = await h.prisma.task.findFirstOrThrow({ where: { title: 'Réparer le lampadaire rue des Écoles' }, include: { assignee: true } });
    expect(task.assignee?.displayName).toBe('Paul Slack');
    expect(task.createdVia).toBe('SLACK');
    taskId = task.id;
    const reply = lastPostTo(MAIRIE)!;
    expect(textOf(reply)).toContain(`Tâche #${task.number} créée : Réparer le lampadaire rue des Écoles`);
    const blocks = reply.args.blocks as SlackBlock[];
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions && actions.type === 'actions' && actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      ['pilote.0.0', `task.done:${task.id}`],
      ['pilote.0.1', `task.snooze:${task.id}`],
    ]);
    taskMessageTs = String(reply.response.ts);
    // Paul hears about it in his DM.
    expect(textOf(lastPostTo(PAUL.dm))).toContain(`Adèle Roux vous confie la tâche #${task.number}`);
  });

  it('marks the task done when ✅ is pressed and updates the message through chat.update', async () => {
    const req = buttonPress({ team: TEAM, channel: MAIRIE, user: ADELE.user, ts: taskMessageTs, actionId: 'pilote.0.0', value: `task.done:${taskId}` });
    const res = await post(req);
    expect(res.status).toBe(200);
    await h.app.settle(coreId('act-', triggerOf(req)));
    const task = await h.prisma.task.findUniqueOrThrow({ where: { id: taskId } });
    expect(task.status).toBe('DONE');
    const update = fake.ok('chat.update').at(-1)!;
    expect(update.args).toMatchObject({ channel: MAIRIE, ts: taskMessageTs });
    const edited = fake.message(MAIRIE, taskMessageTs)!;
    expect(edited.edits).toBe(1);
    expect(edited.text).toContain('fait par Adèle Roux');
    expect(edited.blocks.some((b) => (b as SlackBlock).type === 'actions')).toBe(false);
  });

  it('takes "@Pilote tache …" in a channel thread, stripping the mention and answering in the thread', async () => {
    const id = nextEventId();
    const thread = slackTs();
    const res = await post(
      eventCallback(TEAM, id, { type: 'app_mention', channel: MAIRIE, user: ADELE.user, text: '<@U0PILOTE> tache Commander du sel <@U0PAUL>', ts: slackTs(), thread_ts: thread }),
    );
    expect(res.status).toBe(200);
    await h.app.settle(coreId('', id));
    const task = await h.prisma.task.findFirstOrThrow({ where: { title: 'Commander du sel' }, include: { assignee: true } });
    expect(task.assignee?.displayName).toBe('Paul Slack');
    const reply = lastPostTo(MAIRIE)!;
    expect(reply.args.thread_ts).toBe(thread);
    expect(textOf(reply)).toContain('Commander du sel');
  });

  it('binds a channel with /pilote salon', async () => {
    await slash(ADELE, 'salon conseil', 'C0CONSEIL');
    const binding = await h.prisma.roomBinding.findFirstOrThrow({ where: { platform: 'SLACK', chatId: 'C0CONSEIL' } });
    expect(binding).toMatchObject({ workspace: TEAM, purpose: 'COUNCIL' });
    expect(textOf(lastPostTo('C0CONSEIL'))).toContain('conseil');
  });

  it('answers mistakes made with /pilote ephemerally, to the user alone', async () => {
    const before = fake.ok('chat.postEphemeral').length;
    await slash(ADELE, 'fait 999');
    await slash(ADELE, 'fait');
    const ephemeral = fake.ok('chat.postEphemeral').slice(before);
    expect(ephemeral.map((c) => [c.args.channel, c.args.user])).toEqual([
      [MAIRIE, ADELE.user],
      [MAIRIE, ADELE.user],
    ]);
    expect(String(ephemeral[0]!.args.text)).toContain('999');
    expect(String(ephemeral[1]!.args.text)).toContain('Exemple : /pilote fait');
    // Someone unknown is told how to link, privately too.
    await slash({ user: 'U0STRANGER' }, 'taches');
    expect(fake.ok('chat.postEphemeral').at(-1)!.args).toMatchObject({ channel: MAIRIE, user: 'U0STRANGER' });
  });

  it('answers a /pilote typed in a DM with someone else in the DM with the bot', async () => {
    const before = postsTo(ADELE.dm).length;
    await slash(ADELE, 'taches', 'D0ADELEBOB', 'directmessage');
    expect(fake.ok('conversations.open').some((c) => c.args.users === ADELE.user)).toBe(true);
    expect(postsTo(ADELE.dm).length).toBe(before + 1);
    expect(postsTo('D0ADELEBOB')).toHaveLength(0);
  });

  it('handles a retried event (X-Slack-Retry-Num) once', async () => {
    const id = nextEventId();
    const event = directMessage(TEAM, id, { user: ADELE.user, channel: ADELE.dm, text: 'taches' });
    const before = postsTo(ADELE.dm).length;
    const first = await post(event);
    const retry = await post({ ...event, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await h.app.settle(coreId('', id));
    const again = await post({ ...event, headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' } });
    expect(again.status).toBe(200);
    await h.app.settle(coreId('', id));
    expect(postsTo(ADELE.dm).length).toBe(before + 1);
    expect(await h.prisma.handledEvent.count({ where: { key: `slack-${TEAM}-${id}` } })).toBe(1);
  });

  it('waits out a rate limit (HTTP 429 + Retry-After) and delivers once', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const start = fake.calls.length;
    await dm(ADELE, 'aide');
    await fake.waitFor((calls) => calls.slice(start).some((c) => c.method === 'chat.postMessage' && c.response.ok === true));
    const attempts = fake.calls.slice(start).filter((c) => c.method === 'chat.postMessage');
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(990);
    const row = await h.prisma.outboxMessage.findFirstOrThrow({ where: { chatId: ADELE.dm }, orderBy: { id: 'desc' } });
    expect(row.status).toBe('SENT');
    expect(row.platformMessageId).toBe(attempts[1]!.response.ts);
  });

  it('sets a reminder with /pilote rappel and delivers it, with its buttons, in the DM when due', async () => {
    await slash(ADELE, 'rappel demain 9h appeler le SDIS');
    const reminder = await h.prisma.reminder.findFirstOrThrow({ where: { text: 'appeler le SDIS' } });
    expect(textOf(lastPostTo(MAIRIE))).toContain('appeler le SDIS');
    // Bring it forward to now rather than wait until tomorrow 9:00.
    const due = new Date(Date.now() + 200);
    await h.prisma.reminder.update({ where: { id: reminder.id }, data: { nextAt: due } });
    await scheduleReminders(h.prisma, h.app.queues, [reminder.id], h.app.services.clock);
    await fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === ADELE.dm && textOf(c).includes('appeler le SDIS')));
    const fired = postsTo(ADELE.dm).filter((c) => textOf(c).includes('appeler le SDIS'));
    expect(fired).toHaveLength(1);
    expect((fired[0]!.args.blocks as SlackBlock[]).some((b) => b.type === 'actions')).toBe(true);
  });

  describe('refuses requests Slack did not sign', () => {
    const refused = async (req: SignedRequest, id: string) => {
      const res = await post(req);
      expect(res.status).toBe(401);
      expect(await takenEventIds(h.app)).not.toContain(coreId('', id));
    };
    const message = (id: string) => directMessage(TEAM, id, { user: ADELE.user, channel: ADELE.dm, text: 'taches' });

    it('a forged signature', async () => {
      const id = nextEventId();
      await refused({ ...message(id), signature: `v0=${'0'.repeat(64)}` }, id);
      // Signed with another secret.
      const other = message(id);
      const res = await postSlack(port, 'not-the-secret', other);
      expect(res.status).toBe(401);
    });

    it('a missing signature', async () => {
      const id = nextEventId();
      await refused({ ...message(id), signature: '' }, id);
    });

    it('a stale request (timestamp 6 minutes old)', async () => {
      const id = nextEventId();
      await refused({ ...message(id), timestamp: Math.floor(Date.now() / 1000) - 360 }, id);
    });

    it('a request from the future (6 minutes ahead)', async () => {
      const id = nextEventId();
      await refused({ ...message(id), timestamp: Math.floor(Date.now() / 1000) + 360 }, id);
    });

    it('but accepts one 4 minutes old', async () => {
      const id = nextEventId();
      const res = await post({ ...message(id), timestamp: Math.floor(Date.now() / 1000) - 240 });
      expect(res.status).toBe(200);
      await h.app.settle(coreId('', id));
    });
  });
});
