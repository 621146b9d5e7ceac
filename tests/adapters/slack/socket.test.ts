/**
 * Socket Mode end to end: Pilote's Socket Mode receiver asks the fake Web API for a socket with the
 * app token, connects to the fake's WebSocket, and events, slash commands and button presses
 * pushed there reach the core and are acknowledged on the socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackAdapter, type SlackAdapter } from '../../../adapters/slack/index.js';
import type { SlackBlock } from '../../../adapters/slack/render.js';
import { createInvitation } from '../../../src/domain/members.js';
import { createLogger } from '../../../src/logger.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { startHarness, takenEventIds, type Harness } from '../../helpers/harness.js';
import { buttonPress, directMessage, slashCommand } from './signed.js';

const BOT_TOKEN = 'xoxb-socket-test';
const APP_TOKEN = 'xapp-1-socket-test';
const TEAM = 'T0PILOTE';

describe('slack adapter (Socket Mode)', () => {
  let fake: FakeSlack;
  let h: Harness;
  let slack: SlackAdapter;

  beforeAll(async () => {
    fake = await startFakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, teamId: TEAM });
    h = await startHarness('slack-socket', {
      env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: fake.url },
      adapters: (config) => [(slack = createSlackAdapter(config, createLogger('silent')))],
    });
    await fake.socket.connected();
  });
  afterAll(async () => {
    await h?.stop();
    await fake?.close();
  });

  /** The JSON body or form fields of a request built for HTTP mode, as Socket Mode carries them. */
  const payloadOf = (body: string, json: boolean): Record<string, unknown> => {
    if (json) return JSON.parse(body) as Record<string, unknown>;
    const form = new URLSearchParams(body);
    const payload = form.get('payload');
    return payload ? (JSON.parse(payload) as Record<string, unknown>) : Object.fromEntries(form);
  };

  const waitForTaken = async (id: string) => {
    const deadline = Date.now() + 5000;
    while (!(await takenEventIds(h.app)).includes(id)) {
      if (Date.now() > deadline) throw new Error(`event ${id} not taken in`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('connected with the app token and serves no HTTP route', () => {
    expect(slack.mode).toBe('socket');
    expect(slack.routes()).toEqual([]);
    expect(fake.ok('apps.connections.open').at(-1)!.token).toBe(APP_TOKEN);
  });

  it('links from a DM, creates a task from /pilote and completes it with its button', async () => {
    const invitation = await createInvitation(h.prisma, null, { communeId: h.demo.communeId, role: 'DEPUTY', name: 'Adèle Roux', now: new Date() });
    const dm = directMessage(TEAM, 'Ev0SOCK1', { user: 'U0ADELE', channel: 'D0ADELE', text: `lier ${invitation.code}` });
    const envelope = fake.socket.push('events_api', payloadOf(dm.body, true), { retry_attempt: 0, retry_reason: '' });
    await fake.socket.ackOf(envelope);
    // The ack says the event is in the ingress: wait for the pump to take it before settling it.
    await waitForTaken(`slack-${TEAM}-Ev0SOCK1`);
    await h.app.settle(`slack-${TEAM}-Ev0SOCK1`);
    expect(String(fake.ok('chat.postMessage').at(-1)!.args.text)).toContain('Bienvenue Adèle Roux');

    const cmd = payloadOf(slashCommand({ team: TEAM, channel: 'C0MAIRIE', user: 'U0ADELE', text: 'tache Repeindre le préau' }).body, false);
    const cmdEnvelope = fake.socket.push('slash_commands', cmd);
    await fake.socket.ackOf(cmdEnvelope);
    await h.app.settle(`slack-${TEAM}-cmd-${String(cmd.trigger_id)}`.replace(/[^A-Za-z0-9._-]/g, '_'));
    const task = await h.prisma.task.findFirstOrThrow({ where: { title: 'Repeindre le préau' } });
    const reply = fake.ok('chat.postMessage').at(-1)!;
    expect(reply.args.channel).toBe('C0MAIRIE');
    const actions = (reply.args.blocks as SlackBlock[]).find((b) => b.type === 'actions');
    expect(actions?.type === 'actions' && actions.elements[0]!.value).toBe(`task.done:${task.id}`);

    const ts = String(reply.response.ts);
    const press = payloadOf(buttonPress({ team: TEAM, channel: 'C0MAIRIE', user: 'U0ADELE', ts, actionId: 'pilote.0.0', value: `task.done:${task.id}` }).body, false);
    const pressEnvelope = fake.socket.push('interactive', press);
    await fake.socket.ackOf(pressEnvelope);
    await h.app.settle(`slack-${TEAM}-act-${String(press.trigger_id)}`.replace(/[^A-Za-z0-9._-]/g, '_'));
    expect((await h.prisma.task.findUniqueOrThrow({ where: { id: task.id } })).status).toBe('DONE');
    expect(fake.message('C0MAIRIE', ts)!.text).toContain('fait par Adèle Roux');
  });
});
