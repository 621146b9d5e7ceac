/**
 * The Matrix adapter's pure parts: reading what members type (pills, reply fallbacks, command
 * prefixes, numbers, reaction keys), rendering what the bot sends (notices, sanitised HTML,
 * buttons as a numbered hint, edits), and mapping Matrix errors to delivery errors.
 */
import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText, sanitizeHtml, stripReplyFallback, userIdFromPermalink } from '../../../adapters/matrix/html.js';
import { choiceNumber, commandText, eventKey, messageParts, normaliseKey, reactionPress } from '../../../adapters/matrix/inbound.js';
import { matrixTexts } from '../../../adapters/matrix/messages.js';
import { bangCommands, editContent, MAX_TEXT, messageContents } from '../../../adapters/matrix/render.js';
import { toDeliveryError } from '../../../adapters/matrix/errors.js';
import { backoffDelay } from '../../../adapters/matrix/transport.js';
import type { ChatAddress } from '../../../src/core/types.js';

const BOT = '@pilote:pilote.test';
const fr = matrixTexts('fr');
const room: ChatAddress = { platform: 'matrix', workspace: 'pilote.test', chatId: '!r:pilote.test' };

describe('matrix: reading what members type', () => {
  it('turns pills into user ids and lists them as mentions', () => {
    const parts = messageParts({
      msgtype: 'm.text',
      body: '!tache Réparer le banc Paul Lefèvre pour vendredi',
      format: 'org.matrix.custom.html',
      formatted_body: '!tache Réparer le banc <a href="https://matrix.to/#/%40paul%3Apilote.test">Paul Lefèvre</a> pour vendredi &amp; samedi',
    });
    expect(parts.text).toBe('!tache Réparer le banc @paul:pilote.test pour vendredi & samedi');
    expect(parts.mentions).toEqual([{ text: '@paul:pilote.test', userId: '@paul:pilote.test' }]);
  });

  it('finds plain @user:server mentions, once each, without trailing punctuation', () => {
    const parts = messageParts({ msgtype: 'm.text', body: 'tache Appeler @marie:other.org. Puis @marie:other.org et @jean:pilote.test' });
    expect(parts.mentions.map((m) => m.userId)).toEqual(['@marie:other.org', '@jean:pilote.test']);
  });

  it('drops reply fallbacks, in the plain body and in the HTML', () => {
    expect(stripReplyFallback('> <@pilote:pilote.test> Tâche #5 créée\n> suite\n\n2')).toBe('2');
    expect(stripReplyFallback('pas une citation\n> mais ceci')).toBe('pas une citation\n> mais ceci');
    const parts = messageParts({
      msgtype: 'm.text',
      body: '> <@pilote:pilote.test> Tâche #5\n\n1',
      format: 'org.matrix.custom.html',
      formatted_body: '<mx-reply><blockquote>Tâche #5</blockquote></mx-reply>1',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$bot' } },
    });
    expect(parts).toMatchObject({ text: '1', replyTo: '$bot' });
  });

  it('reads threads: the root, and a real reply inside the thread', () => {
    expect(messageParts({ msgtype: 'm.text', body: 'x', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root', is_falling_back: true, 'm.in_reply_to': { event_id: '$root' } } })).toMatchObject({ threadId: '$root', text: 'x' });
    const reply = messageParts({ msgtype: 'm.text', body: 'x', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root', 'm.in_reply_to': { event_id: '$m' } } });
    expect(reply).toMatchObject({ threadId: '$root', replyTo: '$m' });
  });

  it('decodes HTML and permalinks carefully', () => {
    expect(decodeEntities('a &lt;b&gt; &#233;t&#xe9; &quot;x&quot; &bogus;')).toBe('a <b> été "x" &bogus;');
    expect(userIdFromPermalink('https://matrix.to/#/@paul:pilote.test?via=pilote.test')).toBe('@paul:pilote.test');
    expect(userIdFromPermalink('https://matrix.to/#/!room:pilote.test')).toBeUndefined();
    expect(userIdFromPermalink('https://example.org/#/@paul:pilote.test')).toBeUndefined();
    expect(htmlToText('<p>un</p><p>deux<br/>trois</p><a href="https://example.org">lien</a>').text).toBe('un\ndeux\ntrois\nlien');
  });

  it('recognises the command forms: !tache, !pilote tache, a leading mention, any text in a direct chat', () => {
    expect(commandText('!tache Réparer', BOT, false)).toEqual({ text: 'tache Réparer', addressed: true });
    expect(commandText('!pilote tache Réparer', BOT, false)).toEqual({ text: 'tache Réparer', addressed: true });
    expect(commandText('!Pilote', BOT, false)).toEqual({ text: '', addressed: true });
    expect(commandText('!pilotes', BOT, false)).toEqual({ text: 'pilotes', addressed: true });
    expect(commandText('@pilote:pilote.test: taches retard', BOT, false)).toEqual({ text: 'taches retard', addressed: true });
    expect(commandText('taches', BOT, true)).toEqual({ text: 'taches', addressed: true });
    expect(commandText('bonjour à tous', BOT, false)).toBeUndefined();
    expect(commandText('! pas une commande', BOT, false)).toBeUndefined();
  });

  it('reads numbered answers and reaction keys', () => {
    expect(choiceNumber(' 2 ')).toBe(2);
    expect(choiceNumber('1.')).toBe(1);
    expect(choiceNumber('0')).toBeUndefined();
    expect(choiceNumber('2 fois')).toBeUndefined();
    expect(normaliseKey('✅\ufe0f')).toBe('✅');
    expect(normaliseKey('👍🏽')).toBe('👍');
    expect(normaliseKey('1\u20e3')).toBe('1️⃣');
    expect(reactionPress('✅')).toEqual({ key: '✅' });
    expect(reactionPress('2️⃣')).toEqual({ choice: 1 });
    expect(reactionPress('3\u20e3')).toEqual({ choice: 2 });
    expect(reactionPress('🔟')).toEqual({ choice: 9 });
  });

  it('makes event keys of [A-Za-z0-9._-] only, distinct for distinct ids', () => {
    const a = eventKey('$Ab_c-D:pilote.test');
    expect(a).toMatch(/^matrix-[A-Za-z0-9._-]+$/);
    expect(a).not.toBe(eventKey('$Ab-c_D:pilote.test'));
    expect(eventKey('$a_2e')).not.toBe(eventKey('$a.'));
  });
});

describe('matrix: rendering what the bot sends', () => {
  it('sends notices with a plain body and an HTML body of the renderer’s tags only', () => {
    const [content] = messageContents(room, { text: '*Tâche #3* : <script>alert(1)</script> & _vite_\nligne 2' }, fr);
    expect(content).toMatchObject({
      msgtype: 'm.notice',
      body: 'Tâche #3 : <script>alert(1)</script> & vite\nligne 2',
      format: 'org.matrix.custom.html',
      formatted_body: '<b>Tâche #3</b> : &lt;script&gt;alert(1)&lt;/script&gt; &amp; <i>vite</i><br>ligne 2',
    });
    expect(sanitizeHtml('<b>ok</b><img src=x onerror=alert(1)><a href="x">y</a><br/>')).toBe('<b>ok</b>&lt;img src=x onerror=alert(1)&gt;&lt;a href="x"&gt;y&lt;/a&gt;<br/>');
  });

  it('writes commands with ! as Matrix people type them', () => {
    expect(bangCommands('Tapez /aide ou (/lier CODE), le 12/03 à https://x.org/a')).toBe('Tapez !aide ou (!lier CODE), le 12/03 à https://x.org/a');
  });

  it('answers in reply, splits long texts, and puts the buttons on the last part', () => {
    const text = Array.from({ length: 300 }, (_, i) => `Ligne ${i} du compte rendu de la commission des travaux`).join('\n');
    const contents = messageContents(room, { text, replyTo: '$q', buttons: [[{ label: '✅ Fait', action: 'task.done:1', emoji: '✅' }, { label: '⏰ Reporter', action: 'task.snooze:1', emoji: '⏰' }]] }, fr);
    expect(contents.length).toBeGreaterThan(3);
    expect(contents[0]!['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: '$q' } });
    expect(contents[1]!['m.relates_to']).toBeUndefined();
    for (const c of contents.slice(0, -1)) expect((c.body as string).length).toBeLessThanOrEqual(MAX_TEXT);
    const last = contents.at(-1)!;
    expect(last.body).toMatch(/1\. ✅ Fait · 2\. ⏰ Reporter\nRépondez 1 ou 2, ou réagissez ✅ ⏰$/);
    expect(last['org.pilote.buttons']).toEqual(['✅', '⏰']);
    expect(contents[0]!['org.pilote.buttons']).toBeUndefined();
  });

  it('numbers poll-like buttons with keycaps', () => {
    const [c] = messageContents(room, { text: 'Quel créneau ?', buttons: [[{ label: 'mardi 18h', action: 'p:1' }], [{ label: 'jeudi 18h', action: 'p:2' }, { label: 'samedi', action: 'p:3' }]] }, fr);
    expect(c!.body).toBe('Quel créneau ?\n1. mardi 18h · 2. jeudi 18h · 3. samedi\nRépondez 1, 2 ou 3, ou réagissez 1️⃣ 2️⃣ 3️⃣');
  });

  it('keeps thread messages in their thread', () => {
    const [c] = messageContents({ ...room, threadId: '$root' }, { text: 'ok' }, fr);
    expect(c!['m.relates_to']).toEqual({ rel_type: 'm.thread', event_id: '$root', is_falling_back: true, 'm.in_reply_to': { event_id: '$root' } });
  });

  it('edits with m.replace and m.new_content', () => {
    const c = editContent('$orig', { text: '✅ *#3* fait' }, fr);
    expect(c).toMatchObject({
      body: '* ✅ #3 fait',
      'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
      'm.new_content': { msgtype: 'm.notice', body: '✅ #3 fait', formatted_body: '✅ <b>#3</b> fait' },
    });
    expect((c['m.new_content'] as Record<string, unknown>)['org.pilote.buttons']).toBeUndefined();
  });
});

describe('matrix: errors and backoff', () => {
  it('maps Matrix failures to delivery errors', () => {
    const limited = toDeliveryError({ errcode: 'M_LIMIT_EXCEEDED', statusCode: 429, retryAfterMs: 1500, body: { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1500 } });
    expect(limited).toMatchObject({ failure: 'retry', retryAfterMs: 1500 });
    expect(toDeliveryError({ errcode: 'M_FORBIDDEN', statusCode: 403, body: {} }).failure).toBe('unreachable');
    expect(toDeliveryError({ statusCode: 502, body: '<html>' }).failure).toBe('retry');
    expect(toDeliveryError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).failure).toBe('retry');
    expect(toDeliveryError({ errcode: 'M_TOO_LARGE', statusCode: 413, body: {} }).failure).toBe('permanent');
  });

  it('backs off exponentially, within bounds', () => {
    const b = { minMs: 1000, maxMs: 30_000 };
    expect(backoffDelay(1, b)).toBeGreaterThanOrEqual(800);
    expect(backoffDelay(1, b)).toBeLessThanOrEqual(1200);
    expect(backoffDelay(4, b)).toBeGreaterThanOrEqual(6400);
    expect(backoffDelay(20, b)).toBeLessThanOrEqual(36_000);
  });
});
