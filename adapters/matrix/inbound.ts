/**
 * Matrix events → the pieces of a core event: the text a member typed (pills as user ids, no
 * reply fallback), mentions, the command prefix (`!tache`, `!pilote tache`), numbered replies,
 * reaction keys, and the event key the core dedupes on. Pure functions; the receiver does the
 * look-ups.
 */
import type { PlatformMention } from '../../src/core/types.js';
import { htmlToText, stripReplyFallback } from './html.js';

/** A client event as /sync gives it (only the fields Pilote reads). */
export interface MatrixEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts?: number;
  state_key?: string;
  content: Record<string, unknown>;
  unsigned?: { redacted_because?: unknown; prev_content?: Record<string, unknown> } & Record<string, unknown>;
}

/** Content key of the bot's own messages listing the reactions that press their buttons. */
export const BUTTONS_FIELD = 'org.pilote.buttons';

/** The word after `!` that addresses Pilote as a whole (`!pilote tache …`). */
const BOT_WORD = 'pilote';

/** The core event key of a Matrix event: `matrix-` + its id, escaped to `[A-Za-z0-9._-]` one-to-one. */
export function eventKey(eventId: string): string {
  // `_` introduces an escape, so it is escaped itself: distinct ids give distinct keys.
  const escaped = [...Buffer.from(eventId, 'utf8')]
    .map((b) => (/[A-Za-z0-9-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `_${b.toString(16).padStart(2, '0')}`))
    .join('');
  return `matrix-${escaped}`;
}

/** The server name of a user id (`@paul:example.org` → `example.org`). */
export function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

/** The `m.relates_to` of a content, if any. */
function relation(content: Record<string, unknown>): Record<string, unknown> | undefined {
  const rel = content['m.relates_to'];
  return rel && typeof rel === 'object' ? (rel as Record<string, unknown>) : undefined;
}

/** True for an edit (`m.replace`): the core never sees edits. */
export function isEdit(content: Record<string, unknown>): boolean {
  return relation(content)?.rel_type === 'm.replace' || content['m.new_content'] !== undefined;
}

/** What a member's text message says, ready for the core. */
export interface MessageParts {
  /** The text, pills written as user ids, without the reply fallback. */
  text: string;
  mentions: PlatformMention[];
  /** The event this one answers (`m.in_reply_to`), if any. */
  replyTo?: string;
  /** The thread root (`m.thread`), if the message is in a thread. */
  threadId?: string;
}

const USER_ID = /@[a-z0-9._=\-/+]+:[a-z0-9.-]+(?::\d+)?/gi;

/** Reads a `m.room.message` content: text, mentions (pills and plain `@user:server`), reply and thread. */
export function messageParts(content: Record<string, unknown>): MessageParts {
  const body = typeof content.body === 'string' ? content.body : '';
  const html = content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string' ? content.formatted_body : undefined;
  const text = html !== undefined ? htmlToText(html).text : stripReplyFallback(body).trim();
  const mentions: PlatformMention[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(USER_ID)) {
    const id = m[0].replace(/[.-]+$/, '');
    if (seen.has(id)) continue;
    seen.add(id);
    mentions.push({ text: id, userId: id });
  }
  const parts: MessageParts = { text, mentions };
  const rel = relation(content);
  const inReplyTo = rel?.['m.in_reply_to'] as { event_id?: unknown } | undefined;
  if (rel?.rel_type === 'm.thread' && typeof rel.event_id === 'string') {
    parts.threadId = rel.event_id;
    // In a thread, a client's "reply" without is_falling_back answers a message; the fallback only points at the thread.
    if (rel.is_falling_back !== true && typeof inReplyTo?.event_id === 'string') parts.replyTo = inReplyTo.event_id;
  } else if (typeof inReplyTo?.event_id === 'string') {
    parts.replyTo = inReplyTo.event_id;
  }
  return parts;
}

/**
 * The command a message carries: `!pilote tache …` and `!tache …` anywhere, a leading mention
 * of the bot, and any text in a direct chat. Undefined when a group message is not for Pilote.
 */
export function commandText(text: string, botUserId: string, isDirect: boolean): { text: string; addressed: boolean } | undefined {
  let t = text.trim();
  const lower = t.toLowerCase();
  const botId = botUserId.toLowerCase();
  if (lower.startsWith(botId)) {
    t = t.slice(botId.length).replace(/^[:,]?\s*/, '');
    return { text: withoutBang(t), addressed: true };
  }
  if (/^!\S/.test(t)) return { text: withoutBang(t), addressed: true };
  return isDirect ? { text: t, addressed: true } : undefined;
}

function withoutBang(t: string): string {
  const m = new RegExp(`^!${BOT_WORD}(?:\\s+|$)`, 'iu').exec(t);
  if (m) return t.slice(m[0].length);
  return t.replace(/^!/, '');
}

/** The number a member answered (`2`, `2.`, ` 2 `), if the whole message is one. */
export function choiceNumber(text: string): number | undefined {
  const m = /^\s*(\d{1,2})\s*[.)]?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 ? n : undefined;
}

const KEYCAP = /^([0-9])\u20e3$/u;

/**
 * A reaction key as the core knows it: variation selectors and skin tones dropped, keycaps
 * written `1️⃣` whichever way the client sent them.
 */
export function normaliseKey(key: string): string {
  const bare = key.replace(/[\ufe0f\ufe0e]/gu, '').replace(/[\u{1f3fb}-\u{1f3ff}]/gu, '');
  const cap = KEYCAP.exec(bare);
  return cap ? `${cap[1]}\ufe0f\u20e3` : bare;
}

/** What a reaction presses: a keycap (`1️⃣`… `🔟`) is a position, anything else its key. */
export function reactionPress(key: string): { choice: number } | { key: string } {
  const k = normaliseKey(key);
  if (k === '🔟') return { choice: 9 };
  const cap = KEYCAP.exec(k.replace(/\ufe0f/gu, ''));
  if (cap && cap[1] !== '0') return { choice: Number(cap[1]) - 1 };
  return { key: k };
}

/** True when a member event is the user's own join (not a profile change of a member already in). */
export function isOwnJoin(ev: MatrixEvent, userId: string): boolean {
  return (
    ev.type === 'm.room.member' &&
    ev.state_key === userId &&
    ev.content.membership === 'join' &&
    ev.unsigned?.prev_content?.membership !== 'join'
  );
}

/** The bot's button keys on one of its messages (empty when it had none). */
export function buttonsOf(content: Record<string, unknown>): string[] {
  const keys = content[BUTTONS_FIELD];
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
}
