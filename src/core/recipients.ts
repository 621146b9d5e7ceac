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

/** Options of {@link memberRecipient} and {@link memberRecipients}. */
export interface RecipientOptions {
  /** Platform to use when the member has an identity there. */
  prefer?: DbPlatform;
  /** Identities to skip (fallback after one became unreachable). */
  exclude?: string[];
  fallbackLocale?: Locale;
}

/**
 * The chat to write to a member in: a reachable identity with a direct chat, on `prefer` if
 * they have one there, else the most recently linked; `exclude` skips identities (fallback
 * after one became unreachable). Undefined when the member cannot be reached.
 */
export async function memberRecipient(db: Tx, memberId: string, opts: RecipientOptions = {}): Promise<MemberRecipient | undefined> {
  return (await memberRecipients(db, [memberId], opts)).get(memberId);
}

/**
 * {@link memberRecipient} for many members at once, in one lookup (reminders firing together,
 * docs/performance.md): member id → recipient, for those who can be reached.
 */
export async function memberRecipients(db: Tx, memberIds: string[], opts: RecipientOptions = {}): Promise<Map<string, MemberRecipient>> {
  const found = new Map<string, MemberRecipient>();
  const ids = [...new Set(memberIds)];
  if (ids.length === 0) return found;
  const members = await db.member.findMany({
    where: { id: { in: ids } },
    include: {
      commune: { select: { timezone: true } },
      identities: {
        where: { unreachableAt: null, directChatId: { not: null }, ...(opts.exclude?.length ? { id: { notIn: opts.exclude } } : {}) },
        orderBy: { createdAt: 'desc' },
      },
    },
  });
  for (const member of members) {
    if (member.erasedAt) continue;
    const identity = member.identities.find((i) => i.platform === opts.prefer) ?? member.identities[0];
    if (!identity?.directChatId) continue;
    found.set(member.id, {
      to: { platform: identity.platform.toLowerCase() as Platform, workspace: identity.workspace, chatId: identity.directChatId },
      memberId: member.id,
      identityId: identity.id,
      communeId: member.communeId,
      locale: toLocale(member.locale) ?? opts.fallbackLocale ?? 'fr',
      zone: member.timezone ?? member.commune.timezone,
    });
  }
  return found;
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
