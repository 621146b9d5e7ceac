/**
 * The small markup of outbound text: `*bold*`, `_italic_`, `` `code` `` and line breaks; a
 * backslash makes the next character literal. Adapters render it with the helpers here, so
 * user-written text (escaped with {@link escapeMarkup}) can never break a platform's format.
 */
import escapeHtml from 'escape-html';

/** A run of text with its style. */
export interface Span {
  text: string;
  bold?: boolean;
  italic?: boolean;
  code?: boolean;
}

const MARKS: Record<string, 'bold' | 'italic' | 'code'> = { '*': 'bold', _: 'italic', '`': 'code' };

/** Escapes user text so it shows literally inside markup. */
export function escapeMarkup(s: string): string {
  return s.replace(/[\\*_`]/g, (c) => `\\${c}`);
}

/** Parses markup into styled spans (unclosed marks are taken literally). */
export function parseMarkup(input: string): Span[] {
  const spans: Span[] = [];
  const style = { bold: false, italic: false, code: false };
  let buf = '';
  const flush = () => {
    if (!buf) return;
    const span: Span = { text: buf };
    if (style.bold) span.bold = true;
    if (style.italic) span.italic = true;
    if (style.code) span.code = true;
    spans.push(span);
    buf = '';
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '\\' && i + 1 < input.length) {
      buf += input[++i];
      continue;
    }
    const mark = MARKS[c];
    if (mark && (style.code ? mark === 'code' : true)) {
      // Only toggle on when a closing mark follows; otherwise the character is literal.
      if (!style[mark] && !hasClosing(input, i + 1, c)) {
        buf += c;
        continue;
      }
      flush();
      style[mark] = !style[mark];
      continue;
    }
    buf += c;
  }
  flush();
  return spans;
}

function hasClosing(s: string, from: number, mark: string): boolean {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === mark) return true;
  }
  return false;
}

/** Plain text without marks (console, fallbacks, Matrix `body`). */
export function toPlain(markup: string): string {
  return parseMarkup(markup).map((s) => s.text).join('');
}

/** HTML with `<b>`, `<i>`, `<code>` and escaped text (Telegram HTML mode, Matrix formatted_body). */
export function toHtml(markup: string, newline = '\n'): string {
  return parseMarkup(markup)
    .map((s) => {
      let t = escapeHtml(s.text).replace(/\n/g, newline);
      if (s.code) t = `<code>${t}</code>`;
      if (s.italic) t = `<i>${t}</i>`;
      if (s.bold) t = `<b>${t}</b>`;
      return t;
    })
    .join('');
}

/** Slack mrkdwn (`*b*`, `_i_`, `` `c` ``, with `&`, `<`, `>` escaped). */
export function toMrkdwn(markup: string): string {
  return parseMarkup(markup)
    .map((s) => {
      let t = s.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      if (s.code) t = `\`${t}\``;
      if (s.italic) t = `_${t}_`;
      if (s.bold) t = `*${t}*`;
      return t;
    })
    .join('');
}

/** Splits text into chunks of at most `max` characters, at line boundaries where possible. */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const chunks: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    if (current) chunks.push(current);
    let rest = line;
    while (rest.length > max) {
      chunks.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    current = rest;
  }
  if (current) chunks.push(current);
  return chunks;
}
