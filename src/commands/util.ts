/** Small helpers the command families share. */
import type { Context } from '../core/context.js';
import { raw, type MessageKey, type Param } from '../i18n/index.js';

/** Answers a malformed command: what was wrong, then a correct example (SPEC section 2). */
export function replyUsage(ctx: Context, problem: MessageKey, usage: MessageKey, params: Record<string, Param> = {}): void {
  ctx.outcome = 'usage';
  ctx.reply({
    text: ctx.tr('errors.usage', { problem: raw(ctx.tr(problem, params)), usage: raw(ctx.tr(usage)) }),
    ephemeralFor: ctx.event.sender.userId,
  });
}

/** Parses a task/reminder number written `12` or `#12`; undefined if it is not one. */
export function parseNumber(word: string | undefined): number | undefined {
  const m = /^#?(\d{1,9})$/.exec(word?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}
