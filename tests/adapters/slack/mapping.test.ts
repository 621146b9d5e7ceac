/** Slack payloads → core events, and the request signature, without the network. */
import { describe, expect, it } from 'vitest';
import { buttonEvent, cleanText, commandEvent, messageEvent } from '../../../adapters/slack/inbound.js';
import { slashHints } from '../../../adapters/slack/render.js';
import { checkSlackSignature, slackSignature } from '../../../adapters/slack/signature.js';

const me = { teamId: 'T1', botUserId: 'UBOT' };
const sender = { userId: 'U1' };

describe('slack mapping', () => {
  it('strips the leading bot mention and lists the other user mentions', () => {
    expect(cleanText('<@UBOT> tache Tondre <@U123> pour lundi', 'UBOT')).toEqual({
      text: 'tache Tondre <@U123> pour lundi',
      mentions: [{ text: '<@U123>', userId: 'U123' }],
    });
    expect(cleanText('tache Voir <@U9|paul> et <@W77>', 'UBOT').mentions).toEqual([
      { text: '<@U9|paul>', userId: 'U9' },
      { text: '<@W77>', userId: 'W77' },
    ]);
  });

  it('makes channel links, URLs and entities readable, and asks for help when nothing is left', () => {
    expect(cleanText('tache Voir <#C1|voirie> &amp; <https://mairie.fr|le site> &lt;3', 'UBOT').text).toBe('tache Voir #voirie & le site <3');
    expect(cleanText('<@UBOT>', 'UBOT').text).toBe('aide');
    expect(cleanText('pilote taches', 'UBOT').text).toBe('taches');
  });

  it('maps a slash command; from a DM its chat is the user (the bot answers in its own DM)', () => {
    const base = { team_id: 'T1', user_id: 'U1', user_name: 'adele', text: 'taches', trigger_id: '1.2.abc' };
    const inChannel = commandEvent({ ...base, channel_id: 'C1', channel_name: 'mairie' }, me, sender);
    expect(inChannel).toMatchObject({ id: 'slack-T1-cmd-1.2.abc', kind: 'message', text: 'taches', addressed: true, chat: { chatId: 'C1', isDirect: false, workspace: 'T1' } });
    const inDm = commandEvent({ ...base, channel_id: 'D5', channel_name: 'directmessage' }, me, sender);
    expect(inDm.chat).toMatchObject({ chatId: 'U1', isDirect: true });
  });

  it('keeps DMs and mentions, ignores edits, bots, itself and plain channel messages', () => {
    const env = { team_id: 'T1', event_id: 'Ev1', event_time: 1_790_000_000 };
    const dm = { type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'aide', ts: '1.1' };
    expect(messageEvent(env, dm, me, sender)).toMatchObject({ id: 'slack-T1-Ev1', chat: { chatId: 'D1', isDirect: true }, at: '2026-09-21T14:13:20.000Z' });
    expect(messageEvent(env, { ...dm, subtype: 'message_changed' }, me, sender)).toBeUndefined();
    expect(messageEvent(env, { ...dm, bot_id: 'B2' }, me, sender)).toBeUndefined();
    expect(messageEvent(env, { ...dm, user: 'UBOT' }, me, sender)).toBeUndefined();
    expect(messageEvent(env, { ...dm, channel_type: 'channel', channel: 'C1' }, me, sender)).toBeUndefined();
    const mention = { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> taches', ts: '2.2', thread_ts: '1.0' };
    expect(messageEvent(env, mention, me, sender)).toMatchObject({ text: 'taches', chat: { chatId: 'C1', isDirect: false, threadId: '1.0' } });
  });

  it('maps a button press to its action and the pressed message', () => {
    const press = buttonEvent(
      {
        type: 'block_actions',
        trigger_id: '9.9.f',
        team: { id: 'T1' },
        user: { id: 'U1' },
        channel: { id: 'C1' },
        container: { type: 'message', message_ts: '5.5', channel_id: 'C1' },
        actions: [{ action_id: 'pilote.0.1', value: 'task.snooze:abc', action_ts: '1790000000.5' }],
      },
      me,
      sender,
    );
    expect(press).toMatchObject({ id: 'slack-T1-act-9.9.f', kind: 'button', action: 'task.snooze:abc', messageId: '5.5', chat: { chatId: 'C1' } });
  });

  it('checks the v0 signature in both directions of the 5-minute window', () => {
    const body = Buffer.from('a=1');
    const now = 1_790_000_000_000;
    const at = (s: number) => String(Math.floor(now / 1000) + s);
    const sign = (ts: string) => ({ timestamp: ts, signature: slackSignature('k', ts, body) });
    expect(checkSlackSignature('k', sign(at(0)), body, now)).toBe('ok');
    expect(checkSlackSignature('k', sign(at(-299)), body, now)).toBe('ok');
    expect(checkSlackSignature('k', sign(at(-301)), body, now)).toBe('stale');
    expect(checkSlackSignature('k', sign(at(301)), body, now)).toBe('stale');
    expect(checkSlackSignature('other', sign(at(0)), body, now)).toBe('bad-signature');
    expect(checkSlackSignature('k', { timestamp: at(0), signature: 'v0=abc' }, body, now)).toBe('bad-signature');
    expect(checkSlackSignature('k', { timestamp: undefined, signature: 'v0=abc' }, body, now)).toBe('missing');
    expect(checkSlackSignature('k', { timestamp: 'soon', signature: 'v0=abc' }, body, now)).toBe('bad-timestamp');
  });

  it('writes command hints as /pilote commands, and nothing else', () => {
    const names = new Set(['aide', 'lier', 'fait', 'tache']);
    expect(slashHints('Tapez /aide, ou (/lier CODE) ; `/fait 12` — /tâche', names)).toBe('Tapez /pilote aide, ou (/pilote lier CODE) ; `/pilote fait 12` — /pilote tâche');
    expect(slashHints('https://x.fr/aide 1/2 et/ou /inconnu', names)).toBe('https://x.fr/aide 1/2 et/ou /inconnu');
  });
});
