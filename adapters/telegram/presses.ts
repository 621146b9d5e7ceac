/**
 * Every button press must be answered (`answerCallbackQuery`), or the user's app shows a
 * spinner. The core answers a press with a toast (`pressAck`) when it handles it; when it
 * does not (an expired button, a role that may not press it, a press Telegram sent twice),
 * this tracker answers it without a toast shortly before Telegram stops accepting answers.
 */
import type { Api } from 'grammy';

/** After this long without a toast from the core, a press is answered without one. */
export const DEFAULT_FALLBACK_MS = 4000;
/** Presses remembered as answered (a bounded set: ids are only ever looked up briefly). */
const REMEMBERED = 2000;

/** Answers presses the core leaves unanswered; see the module comment. */
export class PressTracker {
  private readonly api: Api;
  private readonly fallbackMs: number;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly answered = new Set<string>();

  constructor(api: Api, fallbackMs = DEFAULT_FALLBACK_MS) {
    this.api = api;
    this.fallbackMs = fallbackMs;
  }

  /** A press came in: answer it later unless the core does first. */
  received(pressId: string): void {
    if (this.pending.has(pressId) || this.answered.has(pressId)) return;
    const timer = setTimeout(() => {
      this.pending.delete(pressId);
      if (this.answered.has(pressId)) return;
      this.remember(pressId);
      // A late or duplicate answer is refused by Telegram; nothing else to do about it.
      this.api.answerCallbackQuery(pressId).catch(() => undefined);
    }, this.fallbackMs);
    timer.unref();
    this.pending.set(pressId, timer);
  }

  /** The core is answering the press with its toast: no fallback answer for it. */
  answering(pressId: string): void {
    const timer = this.pending.get(pressId);
    if (timer) clearTimeout(timer);
    this.pending.delete(pressId);
    this.remember(pressId);
  }

  /** Forgets the timers (on stop). */
  clear(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private remember(pressId: string): void {
    this.answered.add(pressId);
    if (this.answered.size > REMEMBERED) {
      const oldest = this.answered.values().next().value;
      if (oldest !== undefined) this.answered.delete(oldest);
    }
  }
}
