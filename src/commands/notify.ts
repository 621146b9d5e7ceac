/** Reaching a member privately, in their own language, on the account they can be reached on. */
import type { Context } from '../core/context.js';
import { dbPlatform } from '../core/context.js';
import type { OutboundMessage, Platform } from '../core/types.js';
import { toLocale, translator, type Translate } from '../i18n/index.js';

/**
 * Queues a direct message to a member, built in their locale and zone. Prefers an account on
 * the platform of the current event, then the most recent one; skips unreachable accounts.
 * Returns false when the member has no account the bot can write to.
 */
export async function notifyMember(
  ctx: Context,
  memberId: string,
  build: (t: Translate, zone: string) => OutboundMessage,
): Promise<boolean> {
  const member = await ctx.db.member.findUnique({
    where: { id: memberId },
    include: {
      commune: { select: { timezone: true } },
      identities: { where: { unreachableAt: null, directChatId: { not: null } }, orderBy: { createdAt: 'desc' } },
    },
  });
  if (!member || member.erasedAt) return false;
  const here = dbPlatform(ctx.event.chat.platform);
  const identity = member.identities.find((i) => i.platform === here) ?? member.identities[0];
  if (!identity?.directChatId) return false;
  const t = translator(toLocale(member.locale) ?? ctx.services.config.DEFAULT_LOCALE);
  ctx.send({
    to: { platform: identity.platform.toLowerCase() as Platform, workspace: identity.workspace, chatId: identity.directChatId },
    message: build(t, member.timezone ?? member.commune.timezone),
    communeId: member.communeId,
    memberId: member.id,
    identityId: identity.id,
  });
  return true;
}
