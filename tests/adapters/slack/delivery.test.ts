/**
 * Sending through the real WebClient to the fake Slack: Block Kit within Slack's limits, edits,
 * ephemeral answers, and the mapping of Slack's failures to the core's delivery errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../../adapters/slack/index.js';
import { SLACK_LIMITS, type SlackBlock } from '../../../adapters/slack/render.js';
import { DeliveryError } from '../../../src/core/errors.js';
import type { ChatAddress } from '../../../src/core/types.js';
import { createLogger } from '../../../src/logger.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';

const BOT_TOKEN = 'xoxb-delivery-test';
const logger = createLogger('silent');
const to = (chatId: string, threadId?: string): ChatAddress => ({ platform: 'slack', workspace: 'T0PILOTE', chatId, ...(threadId ? { threadId } : {}) });

describe('slack adapter: sending', () => {
  let fake: FakeSlack;
  let slack: SlackAdapter;
  beforeAll(async () => {
    fake = await startFakeSlack({ botToken: BOT_TOKEN });
    slack = new SlackAdapter({ botToken: BOT_TOKEN, signingSecret: 's', apiUrl: fake.url, logger });
    await slack.startSending();
  });
  afterAll(async () => {
    await slack?.stop();
    await fake?.close();
  });

  const failure = async (p: Promise<unknown>): Promise<DeliveryError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeliveryError);
    return err as DeliveryError;
  };

  it('learns its team from auth.test', () => {
    expect(slack.workspace).toBe('T0PILOTE');
    expect(fake.ok('auth.test')).toHaveLength(1);
  });

  it('sends mrkdwn sections with a plain fallback and escaped user text', async () => {
    const { messageId } = await slack.send(to('C1'), { text: '*Gras* et _italique_ : a < b & c > d' });
    const call = fake.ok('chat.postMessage').at(-1)!;
    expect(call.response.ts).toBe(messageId);
    expect(call.args.text).toBe('Gras et italique : a < b & c > d');
    expect(call.args.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '*Gras* et _italique_ : a &lt; b &amp; c &gt; d' } }]);
  });

  it('splits a long text into sections of at most 3000 characters, and into several messages past 50 blocks', async () => {
    const line = 'Une ligne de compte rendu du conseil municipal, assez longue pour remplir. '.repeat(10);
    const text = Array.from({ length: 260 }, (_, i) => `${i + 1}. ${line}`).join('\n');
    const before = fake.ok('chat.postMessage').length;
    const { messageId } = await slack.send(to('C1'), { text, buttons: [[{ label: 'OK', action: 'x.ok:1' }]] });
    const calls = fake.ok('chat.postMessage').slice(before);
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) {
      const blocks = c.args.blocks as SlackBlock[];
      expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
      expect(String(c.args.text).length).toBeLessThanOrEqual(SLACK_LIMITS.text);
      for (const b of blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    // Every line arrives, in order, and the buttons come with the last message.
    const all = calls.map((c) => String(c.args.text)).join('\n');
    expect(all).toContain('1. Une ligne');
    expect(all.indexOf('259. ')).toBeLessThan(all.indexOf('260. '));
    expect((calls.at(-1)!.args.blocks as SlackBlock[]).some((b) => b.type === 'actions')).toBe(true);
    expect((calls[0]!.args.blocks as SlackBlock[]).some((b) => b.type === 'actions')).toBe(false);
    expect(messageId).toBe(calls.at(-1)!.response.ts);
  });

  it('keeps sections within 3000 characters even when escaping lengthens the text', async () => {
    await slack.send(to('C1'), { text: 'R&D <budget> '.repeat(400) });
    const blocks = fake.ok('chat.postMessage').at(-1)!.args.blocks as SlackBlock[];
    expect(blocks.length).toBeGreaterThan(1);
    for (const b of blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(blocks.map((b) => (b.type === 'section' ? b.text.text : '')).join('')).toBe('R&amp;D &lt;budget&gt; '.repeat(400));
  });

  it('gives every button a unique action id and its action as value', async () => {
    await slack.send(to('C1'), {
      text: 'Sondage',
      buttons: [
        [{ label: 'Mardi', action: 'poll.vote:1' }, { label: 'Jeudi', action: 'poll.vote:2' }],
        [{ label: 'Samedi', action: 'poll.vote:3' }],
      ],
    });
    const blocks = fake.ok('chat.postMessage').at(-1)!.args.blocks as SlackBlock[];
    const buttons = blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    expect(buttons.map((b) => b.value)).toEqual(['poll.vote:1', 'poll.vote:2', 'poll.vote:3']);
    expect(new Set(buttons.map((b) => b.action_id)).size).toBe(3);
  });

  it('answers in a thread, edits with chat.update, and posts anew when the message is gone', async () => {
    const { messageId } = await slack.send(to('C2', '111.222'), { text: 'Dans le fil' });
    expect(fake.ok('chat.postMessage').at(-1)!.args.thread_ts).toBe('111.222');
    const edited = await slack.send(to('C2'), { text: 'Modifié', editOf: messageId });
    expect(edited.messageId).toBe(messageId);
    expect(fake.message('C2', messageId)!.text).toBe('Modifié');
    const before = fake.ok('chat.postMessage').length;
    const fresh = await slack.send(to('C2'), { text: 'Nouvel état', editOf: '999.000' });
    expect(fake.ok('chat.postMessage').length).toBe(before + 1);
    expect(fresh.messageId).not.toBe('999.000');
  });

  it('sends ephemeral answers in channels, and normal ones in DMs (a user id stands for the DM)', async () => {
    await slack.send(to('C3'), { text: 'Erreur', ephemeralFor: 'U0X' });
    expect(fake.ok('chat.postEphemeral').at(-1)!.args).toMatchObject({ channel: 'C3', user: 'U0X', text: 'Erreur' });
    await slack.send(to('U0X'), { text: 'Erreur en privé', ephemeralFor: 'U0X' });
    expect(fake.ok('chat.postMessage').at(-1)!.args).toMatchObject({ channel: 'D0X', text: 'Erreur en privé' });
  });

  it('maps a rate limit to a retry after Retry-After', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    const err = await failure(slack.send(to('C1'), { text: 'x' }));
    expect(err.failure).toBe('retry');
    expect(err.retryAfterMs).toBe(7000);
    fake.failNext('chat.postMessage', { error: 'ratelimited' });
    expect((await failure(slack.send(to('C1'), { text: 'x' }))).failure).toBe('retry');
  });

  it.each([
    ['channel_not_found', 'unreachable'],
    ['not_in_channel', 'unreachable'],
    ['is_archived', 'unreachable'],
    ['account_inactive', 'permanent'],
    ['invalid_auth', 'permanent'],
    ['invalid_blocks', 'permanent'],
    ['internal_error', 'retry'],
  ])('maps %s to %s', async (code, expected) => {
    fake.failNext('chat.postMessage', { error: code });
    const err = await failure(slack.send(to('C1'), { text: 'x' }));
    expect(err.failure).toBe(expected);
    expect(err.message).toContain(code);
  });

  it('maps a wrong bot token to a permanent failure, and refuses to start with it', async () => {
    const wrong = new SlackAdapter({ botToken: 'xoxb-revoked', signingSecret: 's', apiUrl: fake.url, logger });
    expect((await failure(wrong.send(to('C1'), { text: 'x' }))).failure).toBe('permanent');
    await expect(wrong.startSending()).rejects.toThrow(/auth\.test failed \(invalid_auth\)/);
  });

  it('maps a network failure to a retry', async () => {
    const down = new SlackAdapter({ botToken: BOT_TOKEN, signingSecret: 's', apiUrl: 'http://127.0.0.1:9/api/', logger });
    const err = await failure(down.send(to('C1'), { text: 'x' }));
    expect(err.failure).toBe('retry');
  });
});
