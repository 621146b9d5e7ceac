/**
 * Text rewriting that remembers where every character came from, so a span found in the
 * rewritten text (by chrono or a regex) can be reported as a span of the ORIGINAL string.
 */

/** A match in the original string: where it starts and the exact original characters. */
export interface OriginalSpan {
  /** Offset of the span in the original string. */
  index: number;
  /** The original characters of the span. */
  text: string;
}

/** A rewritable copy of a string that maps each of its characters back to the original. */
export class MappedText {
  /** The string this copy was made from. */
  readonly original: string;
  /** The current (rewritten) text. */
  text: string;
  private starts: number[];
  private ends: number[];

  /** Wraps `original`; the copy starts identical to it. */
  constructor(original: string) {
    this.original = original;
    this.text = original;
    this.starts = new Array<number>(original.length);
    this.ends = new Array<number>(original.length);
    for (let i = 0; i < original.length; i++) {
      this.starts[i] = i;
      this.ends[i] = i + 1;
    }
  }

  /** Replaces each match of global `re` by `fn(match)` (`null` keeps it); new characters map to the span they replace. */
  replace(re: RegExp, fn: (m: RegExpExecArray) => string | null): this {
    if (!re.global) throw new Error('MappedText.replace needs a global regex');
    let out = '';
    const starts: number[] = [];
    const ends: number[] = [];
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(this.text); m !== null; m = re.exec(this.text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const rep = fn(m);
      if (rep === null || rep.length === 0) continue;
      const s = m.index;
      const e = s + m[0].length;
      out += this.text.slice(last, s);
      starts.push(...this.starts.slice(last, s));
      ends.push(...this.ends.slice(last, s));
      const os = this.starts[s] ?? 0;
      const oe = this.ends[e - 1] ?? os;
      out += rep;
      for (let i = 0; i < rep.length; i++) {
        starts.push(os);
        ends.push(oe);
      }
      last = e;
    }
    out += this.text.slice(last);
    starts.push(...this.starts.slice(last));
    ends.push(...this.ends.slice(last));
    this.text = out;
    this.starts = starts;
    this.ends = ends;
    return this;
  }

  /** Blanks out `[start, end)` of the current text with spaces (lengths and mapping kept). */
  mask(start: number, end: number): this {
    this.text = this.text.slice(0, start) + ' '.repeat(Math.max(0, end - start)) + this.text.slice(end);
    return this;
  }

  /** Maps a span `[index, index + length)` of the current text back to the original string. */
  span(index: number, length: number): OriginalSpan {
    const s = this.starts[index] ?? this.original.length;
    const e = this.ends[Math.max(index, index + length - 1)] ?? s;
    return { index: s, text: this.original.slice(s, e) };
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/** Lower-cases and strips accents character by character, so offsets stay the same as the input's. */
export function foldSameLength(s: string): string {
  // ASCII only (most of what is typed): nothing to strip, and lower case keeps the length.
  if (ASCII.test(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) {
    const f = ch.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
    // Keep one output unit per input unit so indexes line up (astral chars keep their two units).
    out += f.length === ch.length ? f : ch.length === 1 ? (f[0] ?? ' ') : ch;
  }
  return out;
}
