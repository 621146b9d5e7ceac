/**
 * Which receiver the configuration selects: Socket Mode (Pilote's, on the Slack Socket Mode client, started for
 * real against the fake Web API) with an app token, HTTP mode on the shared server otherwise.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackAdapter, SLACK_EVENTS_PATH, slackMode } from '../../../adapters/slack/index.js';
import { SLASH_COMMAND } from '../../../adapters/slack/listeners.js';
import { SlackHttpReceiver } from '../../../adapters/slack/receiver.js';
import { SlackSocketReceiver } from '../../../adapters/slack/socket-receiver.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { createAdapters } from '../../../src/platforms.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';

const BOT_TOKEN = 'xoxb-mode-test';
const APP_TOKEN = 'xapp-1-mode-test';

describe('slack adapter: receiving mode', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await startFakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
  });
  afterAll(async () => {
    await fake?.close();
  });

  const config = (env: Record<string, string>) =>
    loadConfig({ PILOTE_ADAPTERS: 'slack', SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fake.url, LOG_LEVEL: 'silent', ...env });

  it('picks Socket Mode when SLACK_APP_TOKEN is set (even with a signing secret), HTTP mode otherwise', async () => {
    expect(slackMode({ appToken: APP_TOKEN, signingSecret: 's' })).toBe('socket');
    expect(slackMode({ signingSecret: 's' })).toBe('http');
    expect(() => slackMode({})).toThrow(/SLACK_APP_TOKEN/);
    expect(() => config({})).toThrow(/SLACK_APP_TOKEN/);

    const socket = (await createAdapters(config({ SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: 's' }), { settle: async () => undefined }))[0]!;
    expect(socket.platform).toBe('slack');
    const s = socket as ReturnType<typeof createSlackAdapter>;
    expect(s.mode).toBe('socket');
    expect(s.receiver).toBeInstanceOf(SlackSocketReceiver);
    expect(s.routes()).toEqual([]);

    const http = createSlackAdapter(config({ SLACK_SIGNING_SECRET: 's' }), createLogger('silent'));
    expect(http.mode).toBe('http');
    expect(http.receiver).toBeInstanceOf(SlackHttpReceiver);
    expect(http.routes().map((r) => [r.method, r.path])).toEqual([['POST', SLACK_EVENTS_PATH]]);
  });

  it('starts the real Socket Mode client, which asks SLACK_API_URL for a socket with the app token', async () => {
    const adapter = createSlackAdapter(config({ SLACK_APP_TOKEN: 'xapp-1-revoked' }), createLogger('silent'));
    await expect(adapter.startReceiving(async () => undefined)).rejects.toThrow(/invalid_auth/);
    const open = fake.calls.filter((c) => c.method === 'apps.connections.open');
    expect(open.at(-1)!.token).toBe('xapp-1-revoked');
    // The bot token was checked first, on the same API root.
    expect(fake.ok('auth.test').at(-1)!.token).toBe(BOT_TOKEN);
    await adapter.stop();
  });

  it('ships a manifest that creates the app Pilote expects', () => {
    const manifest = readFileSync(new URL('../../../slack-manifest.yml', import.meta.url), 'utf8');
    const listed = (key: string) => {
      const block = new RegExp(`\\n( *)${key}:\\n((?:\\1  +- .*\\n)+)`).exec(manifest);
      return block ? block[2]!.split('\n').map((l) => l.replace(/^\s*- /, '').trim()).filter(Boolean) : [];
    };
    expect(listed('bot').sort()).toEqual(
      ['app_mentions:read', 'channels:history', 'chat:write', 'commands', 'groups:history', 'im:history', 'im:read', 'im:write', 'users:read'].sort(),
    );
    expect(listed('bot_events').sort()).toEqual(['app_mention', 'message.im']);
    expect(manifest).toContain(`- command: ${SLASH_COMMAND}\n`);
    expect(manifest).toMatch(/\n *should_escape: true\n/);
    expect(manifest).toMatch(/\n *interactivity:\n *is_enabled: true\n/);
    expect(manifest).toMatch(/\n *socket_mode_enabled: true\n/);
  });
});
