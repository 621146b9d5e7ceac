/**
 * Finding members of a commune from what people type: `@Paul`, `@marie`, `@Lefevre`, a
 * platform user id (Slack `<@U…>`, Matrix pill, Telegram `@username`). Accent- and
 * case-insensitive, unique prefix; ambiguity is an error that lists the candidates, never a guess.
 */
import { NotFoundError, UserError } from '../core/errors.js';
import { fold } from '../core/text.js';
import type { Tx } from '../db/client.js';
import type { Platform } from '../generated/prisma/enums.js';

/** A member as the directory returns it. */
export interface MemberRef {
  id: string;
  displayName: string;
}

/** Finds the member a typed name designates in a commune (without the leading `@`). */
export async function findMemberByName(db: Tx, communeId: string, typed: string): Promise<MemberRef> {
  const q = fold(typed.replace(/^@/, '')).replace(/[._-]+/g, ' ').trim();
  if (!q) throw new NotFoundError('directory.notFound', { who: typed });
  const members = await db.member.findMany({
    where: { communeId, erasedAt: null },
    select: { id: true, displayName: true, searchName: true },
  });
  const exact = members.filter((m) => m.searchName === q || m.searchName.split(/\s+/).includes(q));
  const pool = exact.length > 0 ? exact : members.filter((m) => m.searchName.startsWith(q) || m.searchName.split(/[\s'’-]+/).some((w) => w.startsWith(q)));
  if (pool.length === 1) return { id: pool[0]!.id, displayName: pool[0]!.displayName };
  if (pool.length === 0) throw new NotFoundError('directory.notFound', { who: typed });
  throw new UserError('E_AMBIGUOUS', 'directory.ambiguous', {
    who: typed,
    candidates: pool.map((m) => m.displayName).sort().join(', '),
  });
}

/** Finds the member behind a platform account (user id, or Telegram username), in a commune. */
export async function findMemberByAccount(
  db: Tx,
  communeId: string,
  account: { platform: Platform; workspace: string; userId?: string; username?: string },
): Promise<MemberRef | undefined> {
  const identity = await db.chatIdentity.findFirst({
    where: {
      platform: account.platform,
      workspace: account.workspace,
      ...(account.userId ? { userId: account.userId } : { username: { equals: account.username ?? '', mode: 'insensitive' } }),
      member: { communeId, erasedAt: null },
    },
    select: { member: { select: { id: true, displayName: true } } },
  });
  return identity?.member;
}

/** Finds the project a `#tag` designates (accent-insensitive prefix of its name or of a word in it). */
export async function findProjectByTag(db: Tx, communeId: string, tag: string): Promise<{ id: string; name: string }> {
  const q = fold(tag.replace(/^#/, '')).replace(/[._-]+/g, ' ').trim();
  const projects = await db.project.findMany({ where: { communeId, archived: false }, select: { id: true, name: true, searchName: true } });
  const exact = projects.filter((p) => p.searchName === q);
  const pool = exact.length > 0 ? exact : projects.filter((p) => p.searchName.startsWith(q) || p.searchName.split(/[\s'’-]+/).some((w) => w.startsWith(q)));
  if (pool.length === 1) return { id: pool[0]!.id, name: pool[0]!.name };
  if (pool.length === 0) throw new NotFoundError('tasks.projectNotFound', { name: tag.replace(/^#/, '') });
  throw new UserError('E_AMBIGUOUS', 'tasks.projectAmbiguous', { name: tag.replace(/^#/, ''), candidates: pool.map((p) => p.name).join(', ') });
}
