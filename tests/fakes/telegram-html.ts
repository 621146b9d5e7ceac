/**
 * The fake Bot API's reading of `parse_mode: HTML`, as strict as Telegram where it matters:
 * only Telegram's tags, every tag closed in order, `<` and `&` only as tags and entities.
 * (Telegram lets a bare `&` through; the fake refuses it, to catch text that was not escaped.)
 */

/** Tags Telegram's HTML mode knows. */
const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);
/** The style each tag stands for in `entities`. */
const ENTITY: Record<string, string> = {
  b: 'bold', strong: 'bold', i: 'italic', em: 'italic', u: 'underline', ins: 'underline',
  s: 'strikethrough', strike: 'strikethrough', del: 'strikethrough', span: 'spoiler', 'tg-spoiler': 'spoiler',
  a: 'text_link', code: 'code', pre: 'pre', blockquote: 'blockquote', 'tg-emoji': 'custom_emoji',
};
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** A style over a range of the parsed text (UTF-16 offsets, as the Bot API counts). */
export interface ParsedEntity {
  type: string;
  offset: number;
  length: number;
}

/** The outcome of parsing: the visible text and its styles, or Telegram's error description. */
export type ParsedHtml = { ok: true; text: string; entities: ParsedEntity[] } | { ok: false; description: string };

function fail(what: string): ParsedHtml {
  return { ok: false, description: `Bad Request: can't parse entities: ${what}` };
}

/** Parses Telegram HTML the way the Bot API does before it accepts a message. */
export function parseTelegramHtml(html: string): ParsedHtml {
  let text = '';
  const entities: ParsedEntity[] = [];
  const open: { tag: string; start: number }[] = [];
  const at = (i: number) => Buffer.byteLength(html.slice(0, i), 'utf8');
  let i = 0;
  while (i < html.length) {
    const c = html[i]!;
    if (c === '<') {
      const m = /^<(\/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*>/.exec(html.slice(i));
      if (!m) return fail(`Unsupported start tag "${/^<\/?([^\s>]*)/.exec(html.slice(i))?.[1] ?? ''}" at byte offset ${at(i)}`);
      const [whole, closing, rawName] = m;
      const tag = rawName!.toLowerCase();
      if (!TAGS.has(tag)) return fail(`Unsupported ${closing ? 'end' : 'start'} tag "${tag}" at byte offset ${at(i)}`);
      if (closing) {
        const top = open.pop();
        if (!top) return fail(`Unexpected end tag at byte offset ${at(i)}`);
        if (top.tag !== tag) return fail(`Unmatched end tag at byte offset ${at(i)}, expected "</${top.tag}>", found "</${tag}>"`);
        if (text.length > top.start) entities.push({ type: ENTITY[tag]!, offset: top.start, length: text.length - top.start });
      } else {
        open.push({ tag, start: text.length });
      }
      i += whole!.length;
      continue;
    }
    if (c === '&') {
      const m = /^&(?:(lt|gt|amp|quot)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/.exec(html.slice(i));
      if (!m) return fail(`Character entity expected at byte offset ${at(i)}`);
      text += m[1] ? NAMED[m[1]]! : String.fromCodePoint(m[2] ? Number(m[2]) : parseInt(m[3]!, 16));
      i += m[0].length;
      continue;
    }
    text += c;
    i++;
  }
  const unclosed = open.pop();
  if (unclosed) return fail(`Can't find end tag corresponding to start tag "${unclosed.tag}"`);
  entities.sort((a, b) => a.offset - b.offset);
  return { ok: true, text, entities };
}
