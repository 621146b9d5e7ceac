/**
 * The HTTP receiver when the inbound queue cannot take an event: Slack must hear about it in time
 * (events get a 5xx so Slack retries them; a slash command gets a short "unavailable" answer).
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../../adapters/slack/index.js';
import type { InboundEvent } from '../../../src/core/types.js';
import { startHttpServer } from '../../../src/http/server.js';
import { createLogger } from '../../../src/logger.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { directMessage, postSlack, slashCommand } from './signed.js';

const SECRET = 'receiver-secret';
const BOT_TOKEN = 'xoxb-receiver-test';

describe('slack HTTP receiver when the queue is down', () => {
  let fake: FakeSlack;
  let slack: SlackAdapter;
  let server: Server;
  let port: number;
  let mode: 'fail' | 'hang' | 'ok' = 'fail';
  const queued: InboundEvent[] = [];

  beforeAll(async () => {
    fake = await startFakeSlack({ botToken: BOT_TOKEN });
    slack = new SlackAdapter({ botToken: BOT_TOKEN, signingSecret: SECRET, apiUrl: fake.url, logger: createLogger('silent'), ackTimeoutMs: 400 });
    await slack.startReceiving(async (event) => {
      if (mode === 'fail') throw new Error('inbound queue unavailable (redis reconnecting)');
      if (mode === 'hang') await new Promise((r) => setTimeout(r, 1500));
      queued.push(event);
    });
    ({ server, port } = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      routes: slack.routes(),
      ready: {},
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      onError: () => undefined,
    }));
  });
  afterAll(async () => {
    await slack?.stop();
    await new Promise((r) => server?.close(r));
    await fake?.close();
  });

  it('answers an event with 503 so that Slack retries it', async () => {
    mode = 'fail';
    const res = await postSlack(port, SECRET, directMessage('T0PILOTE', 'Ev0DOWN', { user: 'U1', channel: 'D1', text: 'aide' }));
    expect(res.status).toBe(503);
    mode = 'ok';
    const retried = await postSlack(port, SECRET, {
      ...directMessage('T0PILOTE', 'Ev0DOWN', { user: 'U1', channel: 'D1', text: 'aide' }),
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' },
    });
    expect(retried.status).toBe(200);
    expect(queued.map((e) => e.id)).toEqual(['slack-T0PILOTE-Ev0DOWN']);
  });

  it('answers a slash command with a short ephemeral "unavailable"', async () => {
    mode = 'fail';
    const res = await postSlack(port, SECRET, slashCommand({ team: 'T0PILOTE', channel: 'C1', user: 'U1', text: 'taches' }));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('indisponible') });
  });

  it('answers before its deadline (Slack gives up at 3 s) even when queuing hangs', async () => {
    mode = 'hang';
    const res = await postSlack(port, SECRET, directMessage('T0PILOTE', 'Ev0SLOW', { user: 'U1', channel: 'D1', text: 'aide' }));
    expect(res.status).toBe(503);
    expect(res.ms).toBeLessThan(1400);
  });
});
