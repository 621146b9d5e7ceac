/**
 * OutboundMessage → Matrix event contents: `m.notice` with a sanitised HTML `formatted_body`
 * and a plain `body`, reply and thread relations, long texts split, buttons written as a
 * numbered line and a hint (the reactions themselves are added after sending), edits as
 * `m.replace`.
 */
import { escapeMarkup, splitText, toHtml, toPlain } from '../../src/core/format.js';
import { buttonKeys, type Button, type ChatAddress, type OutboundMessage } from '../../src/core/types.js';
import { sanitizeHtml } from './html.js';
import { BUTTONS_FIELD } from './inbound.js';
import type { MatrixTexts } from './messages.js';

/** Longest markup per event: even fully escaped, body + HTML stay well under Matrix's 64 KiB event limit. */
export const MAX_TEXT = 4000;

/** A Matrix event content. */
export type MatrixContent = Record<string, unknown>;

/** Matrix commands start with `!` (`/aide` in a core sentence becomes `!aide`): slashes are the client's. */
export function bangCommands(markup: string): string {
  return markup.replace(/(^|[\s(«"'“‘])\/(?=\p{L})/gmu, '$1!');
}

/** A notice with both renderings of `markup`. */
export function noticeContent(markup: string): MatrixContent {
  return {
    msgtype: 'm.notice',
    body: toPlain(markup),
    format: 'org.matrix.custom.html',
    formatted_body: sanitizeHtml(toHtml(markup, '<br>')),
  };
}

function isKeycap(key: string): boolean {
  return key.endsWith('\u20e3') || key === '🔟';
}

/** The numbered buttons and the hint, as markup lines (`1. ✅ Fait · 2. ⏰ Reporter` / `Répondez 1 ou 2, ou réagissez ✅ ⏰`). */
export function buttonsMarkup(buttons: Button[][], texts: MatrixTexts): string {
  const flat = buttons.flat();
  const keys = buttonKeys(buttons);
  const options = flat.map((b, i) => {
    const key = keys[i]!;
    const shown = isKeycap(key) || b.label.startsWith(key) ? b.label : `${key} ${b.label}`;
    return `${i + 1}. ${escapeMarkup(shown)}`;
  });
  const hint = texts.hint(
    flat.map((_, i) => i + 1),
    keys,
  );
  return `${options.join(' · ')}\n_${escapeMarkup(hint)}_`;
}

/** The `m.relates_to` of a message in `threadId` and/or answering `replyTo`. */
function relatesTo(threadId: string | undefined, replyTo: string | undefined): MatrixContent | undefined {
  if (threadId) {
    return { rel_type: 'm.thread', event_id: threadId, is_falling_back: !replyTo, 'm.in_reply_to': { event_id: replyTo ?? threadId } };
  }
  return replyTo ? { 'm.in_reply_to': { event_id: replyTo } } : undefined;
}

/**
 * The events one message becomes, in order: the text split at line boundaries, the reply on
 * the first, the buttons (numbered line, hint, and the reaction keys in {@link BUTTONS_FIELD}) on the last.
 */
export function messageContents(to: ChatAddress, message: OutboundMessage, texts: MatrixTexts): MatrixContent[] {
  const chunks = splitText(bangCommands(message.text), MAX_TEXT);
  const keys = buttonKeys(message.buttons);
  const last = chunks.length - 1;
  if (keys.length > 0) chunks[last] = `${chunks[last]}\n${buttonsMarkup(message.buttons!, texts)}`;
  return chunks.map((chunk, i) => {
    const content = noticeContent(chunk);
    const rel = relatesTo(to.threadId, i === 0 ? message.replyTo : undefined);
    if (rel) content['m.relates_to'] = rel;
    if (i === last && keys.length > 0) content[BUTTONS_FIELD] = keys;
    return content;
  });
}

/** An `m.replace` edit of the bot's event `eventId` showing `message` (cut to one event if longer). */
export function editContent(eventId: string, message: OutboundMessage, texts: MatrixTexts): MatrixContent {
  let markup = bangCommands(message.text);
  if (markup.length > MAX_TEXT) markup = `${splitText(markup, MAX_TEXT - 1)[0]}…`;
  const keys = buttonKeys(message.buttons);
  if (keys.length > 0) markup = `${markup}\n${buttonsMarkup(message.buttons!, texts)}`;
  const inner = noticeContent(markup);
  if (keys.length > 0) inner[BUTTONS_FIELD] = keys;
  return {
    msgtype: 'm.notice',
    body: `* ${inner.body as string}`,
    format: 'org.matrix.custom.html',
    formatted_body: `* ${inner.formatted_body as string}`,
    'm.new_content': inner,
    'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
  };
}
