/**
 * Slack payloads → core events: slash commands, DMs (`message.im`), `app_mention`s and Block
 * Kit button presses. Pure functions: no network, no Bolt.
 */
import type { InboundButton, InboundMessage, PlatformMention, Sender } from '../../src/core/types.js';

/** Who the bot is on Slack (from `auth.test`). */
export interface SlackIdentity {
  teamId: string;
  botUserId: string;
  botId?: string;
}

/** Prefix of the `action_id` of every Pilote button (`pilote.<row>.<col>`). */
export const ACTION_PREFIX = 'pilote.';

/** The fields of a slash command Pilote reads. */
export interface SlashCommand {
  team_id: string;
  channel_id: string;
  channel_name?: string;
  user_id: string;
  user_name?: string;
  text?: string;
  trigger_id: string;
}

/** The fields of an `event_callback` body Pilote reads. */
export interface EventEnvelope {
  team_id?: string;
  event_id: string;
  event_time?: number;
}

/** A `message` or `app_mention` event. */
export interface MessageEvent {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  channel: string;
  channel_type?: string;
  ts: string;
  thread_ts?: string;
}

/** The fields of a `block_actions` payload Pilote reads. */
export interface BlockActions {
  type: 'block_actions';
  trigger_id: string;
  team?: { id: string } | null;
  user: { id: string; username?: string; name?: string; team_id?: string };
  channel?: { id: string };
  container?: { type?: string; message_ts?: string; channel_id?: string; is_ephemeral?: boolean; thread_ts?: string };
  message?: { ts: string; thread_ts?: string };
  actions: { action_id: string; value?: string; action_ts?: string }[];
}

/** Makes a core event id: `slack-<team>-<kind><platform id>`, only `[A-Za-z0-9._-]`. */
export function eventId(teamId: string, kind: '' | 'cmd-' | 'act-', raw: string): string {
  return `slack-${teamId}-${kind}${raw}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Is this Slack conversation id a direct chat with the bot (IM), or a user id standing for it? */
export function isDirectId(id: string): boolean {
  return /^[DUW]/.test(id);
}

const USER_MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;

/**
 * Normalises Slack message text for the core: drops a leading mention of the bot (and a leading
 * `pilote` word), turns channel links, special mentions and URLs into readable text, unescapes
 * `&amp;`/`&lt;`/`&gt;`, and lists the user mentions (`<@U…>`) left in it.
 */
export function cleanText(raw: string, botUserId: string): { text: string; mentions: PlatformMention[] } {
  let text = raw.trim();
  const lead = new RegExp(`^<@${botUserId}(?:\\|[^>]*)?>[\\s,:]*`);
  text = text.replace(lead, '');
  text = text.replace(/^\/?pilote(?:\s+|$)/i, '');
  text = text
    .replace(/<#[CG][A-Z0-9]+\|([^>]*)>/g, (_m, name: string) => `#${name}`)
    .replace(/<!subteam\^[A-Z0-9]+\|([^>]*)>/g, (_m, handle: string) => handle)
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, (_m, word: string) => `@${word}`)
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>/g, (_m, url: string, label?: string) => label ?? url.replace(/^mailto:/, ''));
  const mentions: PlatformMention[] = [];
  for (const m of text.matchAll(USER_MENTION)) {
    if (m[1] !== botUserId && !mentions.some((x) => x.text === m[0])) mentions.push({ text: m[0], userId: m[1]! });
  }
  text = text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();
  // `/pilote` alone, or a bare mention of the bot, asks for help.
  return { text: text || 'aide', mentions };
}

function isoFromSlackTs(ts: string | number | undefined): string {
  const seconds = Number(ts);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : new Date().toISOString();
}

function message(
  base: Omit<InboundMessage, 'kind' | 'text' | 'addressed' | 'mentions'>,
  raw: string,
  botUserId: string,
): InboundMessage {
  const { text, mentions } = cleanText(raw, botUserId);
  return { ...base, kind: 'message', text, addressed: true, ...(mentions.length ? { mentions } : {}) };
}

/**
 * A `/pilote …` command. From a direct conversation (the bot's or one with another person, where
 * the bot cannot write), the chat is the user id: replies go to the user's DM with the bot.
 */
export function commandEvent(cmd: SlashCommand, me: SlackIdentity, sender: Sender): InboundMessage {
  const teamId = cmd.team_id || me.teamId;
  const direct = cmd.channel_name === 'directmessage' || cmd.channel_id.startsWith('D');
  return message(
    {
      id: eventId(teamId, 'cmd-', cmd.trigger_id),
      chat: { platform: 'slack', workspace: teamId, chatId: direct ? cmd.user_id : cmd.channel_id, isDirect: direct },
      sender,
      at: new Date().toISOString(),
    },
    cmd.text ?? '',
    me.botUserId,
  );
}

/**
 * A DM to the bot (`message.im`) or an `@Pilote …` mention; undefined for what Pilote ignores
 * (edits, deletions, joins, other bots, messages in channels without a mention).
 */
export function messageEvent(envelope: EventEnvelope, ev: MessageEvent, me: SlackIdentity, sender: Sender): InboundMessage | undefined {
  if (ev.subtype && ev.subtype !== 'thread_broadcast') return undefined;
  if (ev.bot_id || !ev.user || ev.user === me.botUserId || typeof ev.text !== 'string') return undefined;
  const isMention = ev.type === 'app_mention';
  const isDm = ev.type === 'message' && (ev.channel_type === 'im' || ev.channel.startsWith('D'));
  if (!isMention && !isDm) return undefined;
  const teamId = envelope.team_id || me.teamId;
  const threadId = ev.thread_ts && ev.thread_ts !== ev.ts ? ev.thread_ts : undefined;
  return message(
    {
      id: eventId(teamId, '', envelope.event_id),
      chat: { platform: 'slack', workspace: teamId, chatId: ev.channel, isDirect: isDm, ...(threadId ? { threadId } : {}) },
      sender,
      at: isoFromSlackTs(envelope.event_time ?? ev.ts),
    },
    ev.text,
    me.botUserId,
  );
}

/** A press on one of Pilote's buttons; the button's value is the core action. */
export function buttonEvent(body: BlockActions, me: SlackIdentity, sender: Sender): InboundButton | undefined {
  const pressed = body.actions.find((a) => a.action_id.startsWith(ACTION_PREFIX) && a.value);
  const chatId = body.channel?.id ?? body.container?.channel_id;
  if (!pressed || !chatId) return undefined;
  const teamId = body.team?.id ?? body.user.team_id ?? me.teamId;
  const messageTs = body.container?.is_ephemeral ? undefined : (body.container?.message_ts ?? body.message?.ts);
  const threadTs = body.message?.thread_ts ?? body.container?.thread_ts;
  const threadId = threadTs && threadTs !== messageTs ? threadTs : undefined;
  return {
    id: eventId(teamId, 'act-', body.trigger_id),
    kind: 'button',
    chat: { platform: 'slack', workspace: teamId, chatId, isDirect: chatId.startsWith('D'), ...(threadId ? { threadId } : {}) },
    sender,
    at: isoFromSlackTs(pressed.action_ts),
    action: pressed.value!,
    ...(messageTs ? { messageId: messageTs } : {}),
  };
}
