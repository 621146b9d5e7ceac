/**
 * Where to reach a member or a room: the member's reachable chat identities (the platform of
 * the conversation first, then the most recent), with their language and zone.
 */
import type { Tx } from '../db/client.js';
import type { Platform as DbPlatform } from '../generated/prisma/enums.js';
import { toLocale, type Locale } from '../i18n/index.js';
import type { Outgoing } from './context.js';
import type { ChatAddress, OutboundMessage, Platform } from './types.js';

/** A member's private chat, with how to talk to them. */
export interface MemberRecipient {
  to: ChatAddress;
  memberId: string;
  identityId: string;
  communeId: string;
  locale: Locale;
  zone: string;
}

/**
 * The chat to write to a member in: a reachable identity with a direct chat, on `prefer` if
 * they have one there, else the most recently linked; `exclude` skips identities (fallback
 * after one became unreachable). Undefined when the member cannot be reached.
 */
export async function memberRecipient(
  db: Tx,
  memberId: string,
  opts: { prefer?: DbPlatform; exclude?: string[]; fallbackLocale?: Locale } = {},
): Promise<MemberRecipient | undefined> {
  const member = await db.member.findUnique({
    where: { id: memberId },
    include: {
      commune: { select: { timezone: true } },
      identities: {
        where: { unreachableAt: null, directChatId: { not: null }, ...(opts.exclude?.length ? { id: { notIn: opts.exclude } } : {}) },
        orderBy: { createdAt: 'desc' },
      },
    },
  });
  if (!member || member.erasedAt) return undefined;
  const identity = member.identities.find((i) => i.platform === opts.prefer) ?? member.identities[0];
  if (!identity?.directChatId) return undefined;
  return {
    to: { platform: identity.platform.toLowerCase() as Platform, workspace: identity.workspace, chatId: identity.directChatId },
    memberId: member.id,
    identityId: identity.id,
    communeId: member.communeId,
    locale: toLocale(member.locale) ?? opts.fallbackLocale ?? 'fr',
    zone: member.timezone ?? member.commune.timezone,
  };
}

/** A message for a member recipient, as an outbox entry. */
export function toMember(r: MemberRecipient, message: OutboundMessage): Outgoing {
  return { to: r.to, message, communeId: r.communeId, memberId: r.memberId, identityId: r.identityId };
}

/** The address of a bound room. */
export function roomAddress(room: { platform: DbPlatform; workspace: string; chatId: string; threadId: string | null }): ChatAddress {
  return {
    platform: room.platform.toLowerCase() as Platform,
    workspace: room.workspace,
    chatId: room.chatId,
    ...(room.threadId ? { threadId: room.threadId } : {}),
  };
}
