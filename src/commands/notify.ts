/** Reaching a member privately, in their own language, on the account they can be reached on. */
import type { Context } from '../core/context.js';
import { dbPlatform } from '../core/context.js';
import { memberRecipient, toMember } from '../core/recipients.js';
import type { OutboundMessage } from '../core/types.js';
import { translator, type Translate } from '../i18n/index.js';

/**
 * Queues a direct message to a member, built in their locale and zone. Prefers an account on
 * the platform of the current event. Returns false when the member has no account the bot can
 * write to.
 */
export async function notifyMember(
  ctx: Context,
  memberId: string,
  build: (t: Translate, zone: string) => OutboundMessage,
): Promise<boolean> {
  const r = await memberRecipient(ctx.db, memberId, {
    prefer: dbPlatform(ctx.event.chat.platform),
    fallbackLocale: ctx.services.config.DEFAULT_LOCALE,
  });
  if (!r) return false;
  ctx.send(toMember(r, build(translator(r.locale), r.zone)));
  return true;
}
