/**
 * The little HTML Matrix messages carry: reading a member's `formatted_body` (pills become user
 * ids, the reply fallback goes away) and making sure what the bot sends holds only the tags the
 * core's renderer emits.
 */

/** The user id a matrix.to permalink points at (`https://matrix.to/#/@paul:example.org?via=…`), if any. */
export function userIdFromPermalink(href: string): string | undefined {
  const at = href.indexOf('#/');
  if (!/^https:\/\/matrix\.to\/?#\//i.test(href) || at < 0) return undefined;
  let id = href.slice(at + 2).split('?')[0] ?? '';
  try {
    id = decodeURIComponent(id);
  } catch {
    return undefined;
  }
  return /^@[^\s:]+:[^\s/]+$/.test(id) ? id : undefined;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Decodes the HTML entities clients use (`&amp;`, `&#39;`, `&#x2014;`…). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * Plain text of a `formatted_body`: the reply fallback (`<mx-reply>`) removed, each user pill
 * replaced by the user id it points at (so a mention is one word the core can match), line
 * breaks kept, other tags dropped. Returns the pills found, in order.
 */
export function htmlToText(html: string): { text: string; pills: string[] } {
  const pills: string[] = [];
  let s = html.replace(/<mx-reply>[\s\S]*?<\/mx-reply>/gi, '');
  s = s.replace(/<a\s[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a>/gi, (_whole, _q: string, href: string, label: string) => {
    const userId = userIdFromPermalink(decodeEntities(href));
    if (!userId) return label;
    pills.push(userId);
    return userId;
  });
  s = s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6]|blockquote|pre|tr)>/gi, '\n')
    .replace(/<[^>]*>/g, '');
  return { text: decodeEntities(s).replace(/\n{3,}/g, '\n\n').trim(), pills };
}

/**
 * Removes the reply fallback from a plain `body`: the leading `> ` quoted lines a client adds
 * before the answer (and the blank line after them).
 */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('>')) i++;
  if (i === 0) return body;
  if (i < lines.length && lines[i]!.trim() === '') i++;
  return lines.slice(i).join('\n');
}

const ALLOWED_TAG = /^<\/?(b|i|code)>$|^<br\s*\/?>$/i;

/**
 * Keeps only the tags the core's renderer emits (`b`, `i`, `code`, `br`); anything else that
 * looks like a tag is escaped. The renderer escapes text already: this is the last guard
 * before a `formatted_body` leaves.
 */
export function sanitizeHtml(html: string): string {
  return html.replace(/<[^>]*>?/g, (tag) => (ALLOWED_TAG.test(tag) ? tag.toLowerCase() : tag.replace(/</g, '&lt;').replace(/>/g, '&gt;')));
}
