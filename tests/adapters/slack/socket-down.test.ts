/**
 * The Socket Mode receiver when the inbound queue cannot take an event: an Events API envelope is
 * left unacknowledged, so that Slack sends it again and nothing is lost, and a slash command gets
 * a short "unavailable" answer in its acknowledgement. The Slack Socket Mode client runs for real
 * against the fake's WebSocket, which sends unacknowledged events again as Slack does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../../adapters/slack/index.js';
import type { InboundEvent } from '../../../src/core/types.js';
import { createLogger } from '../../../src/logger.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { until } from '../../helpers/wait.js';
import { directMessage, slashCommand } from './signed.js';

const BOT_TOKEN = 'xoxb-socket-down-test';
const APP_TOKEN = 'xapp-1-socket-down-test';
const TEAM = 'T0PILOTE';

describe('slack Socket Mode receiver when the queue is down', () => {
  let fake: FakeSlack;
  let slack: SlackAdapter;
  let mode: 'fail' | 'hang' | 'ok' = 'fail';
  const queued: InboundEvent[] = [];

  beforeAll(async () => {
    fake = await startFakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, teamId: TEAM, socketRetryDelaysMs: [400, 400, 400] });
    slack = new SlackAdapter({ botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl: fake.url, logger: createLogger('silent'), ackTimeoutMs: 300 });
    await slack.startReceiving(async (event) => {
      if (mode === 'fail') throw new Error('inbound queue unavailable (redis reconnecting)');
      if (mode === 'hang') await new Promise((r) => setTimeout(r, 1000));
      queued.push(event);
    });
    await fake.socket.connected();
  });
  afterAll(async () => {
    await slack?.stop();
    await fake?.close();
  });

  const acked = (ids: string[]) => fake.socket.acks.filter((a) => ids.includes(a.envelope_id));

  it('leaves a DM unacknowledged while the queue is down, and takes it once when Slack sends it again', async () => {
    mode = 'fail';
    const dm = directMessage(TEAM, 'Ev0SOCKDOWN', { user: 'U1', channel: 'D1', text: 'aide' });
    const first = fake.socket.push('events_api', JSON.parse(dm.body) as Record<string, unknown>);
    // Slack sends it again after its delay: the first attempt, refused, got no acknowledgement.
    await until('a second attempt', () => fake.socket.attemptsOf(first).length >= 2);
    expect(acked(fake.socket.attemptsOf(first))).toEqual([]);
    expect(queued).toEqual([]);

    mode = 'ok';
    await until('an acknowledgement', () => acked(fake.socket.attemptsOf(first)).length === 1);
    const attempts = fake.socket.attemptsOf(first);
    // The attempt that was taken is the last one: Slack stops sending it.
    expect(acked(attempts).map((a) => a.envelope_id)).toEqual([attempts.at(-1)]);
    expect(queued.map((e) => e.id)).toEqual([`slack-${TEAM}-Ev0SOCKDOWN`]);
    await new Promise((r) => setTimeout(r, 600));
    expect(fake.socket.attemptsOf(first)).toEqual(attempts);
  });

  it('leaves a DM unacknowledged when queuing it hangs past the deadline', async () => {
    mode = 'hang';
    queued.length = 0;
    const dm = directMessage(TEAM, 'Ev0SOCKSLOW', { user: 'U1', channel: 'D1', text: 'aide' });
    const first = fake.socket.push('events_api', JSON.parse(dm.body) as Record<string, unknown>);
    await until('a second attempt', () => fake.socket.attemptsOf(first).length >= 2);
    expect(acked([first])).toEqual([]);
    mode = 'ok';
    await until('an acknowledgement', () => acked(fake.socket.attemptsOf(first)).length >= 1);
    // Each attempt that reached the queue is the same event, by its id: PostgreSQL keeps one.
    expect(new Set(queued.map((e) => e.id))).toEqual(new Set([`slack-${TEAM}-Ev0SOCKSLOW`]));
  });

  it('answers a slash command with a short ephemeral "unavailable" in its acknowledgement', async () => {
    mode = 'fail';
    const form = new URLSearchParams(slashCommand({ team: TEAM, channel: 'C1', user: 'U1', text: 'taches' }).body);
    const envelope = fake.socket.push('slash_commands', Object.fromEntries(form));
    const ack = await fake.socket.ackOf(envelope);
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('indisponible') });
  });
});
