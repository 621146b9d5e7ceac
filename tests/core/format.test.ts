import { describe, expect, it } from 'vitest';
import { escapeMarkup, parseMarkup, splitText, toHtml, toMrkdwn, toPlain } from '../../src/core/format.js';

describe('markup', () => {
  it('parses bold, italic and code', () => {
    expect(parseMarkup('a *b* _c_ `d`')).toEqual([
      { text: 'a ' },
      { text: 'b', bold: true },
      { text: ' ' },
      { text: 'c', italic: true },
      { text: ' ' },
      { text: 'd', code: true },
    ]);
  });

  it('takes unclosed marks literally and honours escapes', () => {
    expect(toPlain('5 * 3 = 15')).toBe('5 * 3 = 15');
    expect(toPlain(escapeMarkup('snake_case *x*'))).toBe('snake_case *x*');
  });

  it('renders escaped HTML', () => {
    expect(toHtml('*<script>* & "x"')).toBe('<b>&lt;script&gt;</b> &amp; &quot;x&quot;');
    expect(toHtml('`a<b`')).toBe('<code>a&lt;b</code>');
  });

  it('renders Slack mrkdwn with its escapes', () => {
    expect(toMrkdwn('*Tâche* <@U1> & co')).toBe('*Tâche* &lt;@U1&gt; &amp; co');
  });

  it('splits long text at line boundaries', () => {
    const text = Array.from({ length: 10 }, (_, i) => `ligne ${i} ${'x'.repeat(20)}`).join('\n');
    const chunks = splitText(text, 70);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(70);
    expect(chunks.join('\n')).toBe(text);
    expect(splitText('y'.repeat(25), 10)).toEqual(['y'.repeat(10), 'y'.repeat(10), 'y'.repeat(5)]);
  });
});
