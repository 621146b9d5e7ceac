/**
 * Members: invitation codes (made by the mayor, a deputy or the CLI; single-use, hashed,
 * 7 days), linking a chat account with a code, the member's language, and the GDPR rights
 * (export everything about me, forget me). Personal data never goes into audit rows, so that
 * erasing the member row erases the person.
 */
import { createHash, randomInt } from 'node:crypto';
import { ForbiddenError, NotFoundError, UserError } from '../core/errors.js';
import { fold } from '../core/text.js';
import type { Tx } from '../db/client.js';
import type { Platform, Role } from '../generated/prisma/enums.js';
import { toLocale, type Locale } from '../i18n/define.js';
import { audit } from './audit.js';
import { assertCan, canInvite, type Actor } from './permissions.js';
import { queryRaw } from '../db/sql.js';
import { Prisma } from '../generated/prisma/client.js';

/** Characters of an invitation code: no 0/O, 1/I/L, so it survives being read aloud or copied by hand. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** Characters in a code (shown as two groups of four). */
export const CODE_LENGTH = 8;
/** How long an invitation stays valid. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
/** Display name that replaces an erased member's name. */
export const ERASED_NAME = 'Membre effacé';
/** Longest display name kept (platform names can be long). */
const MAX_NAME = 80;

/** Upper-cases a typed code and drops dashes and spaces: `k7p4-qxm2` → `K7P4QXM2`. */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s\-‐‑‒–—_.]+/gu, '');
}

/** SHA-256 hex of a code, as stored in `Invitation.codeHash`. */
export function hashCode(code: string): string {
  return createHash('sha256').update(normaliseCode(code)).digest('hex');
}

/** A fresh code from the unambiguous alphabet, shown as `XXXX-XXXX`. */
export function generateCode(): string {
  let s = '';
  for (let i = 0; i < CODE_LENGTH; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

function cleanName(name: string | undefined | null): string | undefined {
  const s = name?.replace(/\s+/gu, ' ').trim();
  return s ? s.slice(0, MAX_NAME) : undefined;
}

/** Input of {@link createInvitation}. */
export interface NewInvitation {
  communeId: string;
  role: Role;
  /** Name of the person invited; becomes their display name. */
  name?: string;
  now: Date;
}

/** A new invitation: the code is only ever returned here, never stored. */
export interface CreatedInvitation {
  id: string;
  code: string;
  role: Role;
  name?: string;
  expiresAt: Date;
}

/**
 * Makes an invitation code for a role in a commune. `actor` null means the CLI (the person
 * who runs the server); otherwise the actor must be allowed to invite that role in their own
 * commune: the mayor any role, a deputy councillors, agents and citizens.
 */
export async function createInvitation(db: Tx, actor: Actor | null, input: NewInvitation): Promise<CreatedInvitation> {
  if (actor) {
    assertCan(actor, 'member.invite');
    if (actor.communeId !== input.communeId || !canInvite(actor.role, input.role)) throw new ForbiddenError(`member.invite.${input.role}`);
  }
  const commune = await db.commune.findUnique({ where: { id: input.communeId }, select: { id: true } });
  if (!commune) throw new NotFoundError('members.communeNotFound');
  const name = cleanName(input.name);
  const expiresAt = new Date(input.now.getTime() + INVITATION_TTL_MS);
  // A collision among 31^8 ≈ 8.5e11 codes is unlikely; retry rather than fail on the unique index.
  for (let attempt = 0; ; attempt++) {
    const code = generateCode();
    const codeHash = hashCode(code);
    if (attempt < 4 && (await db.invitation.findUnique({ where: { codeHash }, select: { id: true } }))) continue;
    const invitation = await db.invitation.create({
      data: { communeId: input.communeId, codeHash, role: input.role, name: name ?? null, createdById: actor?.memberId ?? null, expiresAt },
    });
    await audit(
      db,
      actor,
      { action: 'invitation.create', entityType: 'invitation', entityId: invitation.id, after: { role: input.role, named: Boolean(name), expiresAt } },
      input.communeId,
    );
    return { id: invitation.id, code, role: input.role, ...(name ? { name } : {}), expiresAt };
  }
}

/** Input of {@link redeemInvitation}: the code and the chat account that typed it. */
export interface Redemption {
  code: string;
  platform: Platform;
  /** Slack team / Matrix homeserver; "" elsewhere. */
  workspace: string;
  userId: string;
  username?: string;
  displayName?: string;
  /** The account's direct chat with the bot, when the code came from there. */
  directChatId?: string;
  /** Language the platform reports for the account. */
  locale?: string;
  now: Date;
}

/** The member a redemption created. */
export interface LinkedMember {
  id: string;
  identityId: string;
  role: Role;
  displayName: string;
  locale: Locale;
  timezone: string | null;
  commune: { id: string; name: string; insee: string; timezone: string; locale: string };
}

/**
 * Links a chat account to a new member with an invitation code. The invitation row is locked,
 * so of two concurrent redemptions of one code exactly one wins; the other sees it used.
 */
export async function redeemInvitation(db: Tx, input: Redemption): Promise<LinkedMember> {
  const normal = normaliseCode(input.code);
  const wellFormed = normal.length === CODE_LENGTH && [...normal].every((c) => CODE_ALPHABET.includes(c));
  if (!wellFormed) throw new UserError('E_CODE_INVALID', 'members.codeInvalid');
  const codeHash = hashCode(normal);
  const [locked] = await queryRaw<{ id: string }[]>(db, Prisma.sql`SELECT "id" FROM "Invitation" WHERE "codeHash" = ${codeHash} FOR UPDATE`);
  if (!locked) throw new UserError('E_CODE_INVALID', 'members.codeInvalid');
  const invitation = await db.invitation.findUniqueOrThrow({ where: { id: locked.id }, include: { commune: true } });
  if (invitation.usedAt) throw new UserError('E_CODE_USED', 'members.codeUsed');
  if (invitation.expiresAt <= input.now) throw new UserError('E_CODE_EXPIRED', 'members.codeExpired');

  const account = { platform: input.platform, workspace: input.workspace, userId: input.userId };
  const existing = await db.chatIdentity.findUnique({
    where: { platform_workspace_userId: account },
    include: { member: { include: { commune: { select: { id: true, name: true } } } } },
  });
  if (existing) {
    const { member } = existing;
    if (member.communeId === invitation.communeId) {
      throw new UserError('E_ALREADY_LINKED', 'members.alreadyLinked', { name: member.displayName, commune: member.commune.name });
    }
    throw new UserError('E_LINKED_ELSEWHERE', 'members.linkedElsewhere', { commune: member.commune.name });
  }

  const { commune } = invitation;
  const displayName = cleanName(invitation.name) ?? cleanName(input.displayName) ?? cleanName(input.username) ?? input.userId;
  const locale = toLocale(input.locale) ?? toLocale(commune.locale) ?? 'fr';
  const member = await db.member.create({
    data: {
      communeId: commune.id,
      role: invitation.role,
      displayName,
      searchName: fold(displayName),
      locale,
      identities: {
        create: { ...account, username: input.username ?? null, directChatId: input.directChatId ?? null },
      },
    },
    include: { identities: true },
  });
  const used = await db.invitation.updateMany({
    where: { id: invitation.id, usedAt: null },
    data: { usedAt: input.now, usedById: member.id },
  });
  if (used.count !== 1) throw new UserError('E_CODE_USED', 'members.codeUsed');
  const actor: Actor = { memberId: member.id, communeId: commune.id, role: member.role, platform: input.platform };
  await audit(db, actor, {
    action: 'member.link',
    entityType: 'member',
    entityId: member.id,
    after: { role: member.role, platform: input.platform, invitationId: invitation.id },
  });
  return {
    id: member.id,
    identityId: member.identities[0]!.id,
    role: member.role,
    displayName,
    locale,
    timezone: member.timezone,
    commune: { id: commune.id, name: commune.name, insee: commune.insee, timezone: commune.timezone, locale: commune.locale },
  };
}

async function liveMember(db: Tx, actor: Actor) {
  const member = await db.member.findFirst({ where: { id: actor.memberId, communeId: actor.communeId, erasedAt: null } });
  if (!member) throw new NotFoundError('members.gone');
  return member;
}

/** Sets the language the bot speaks to the actor. */
export async function setLocale(db: Tx, actor: Actor, locale: Locale): Promise<Locale> {
  assertCan(actor, 'account.manage');
  const member = await liveMember(db, actor);
  if (member.locale === locale) return locale;
  await db.member.update({ where: { id: member.id }, data: { locale } });
  await audit(db, actor, { action: 'member.locale', entityType: 'member', entityId: member.id, before: { locale: member.locale }, after: { locale } });
  return locale;
}

/**
 * Everything Pilote holds about the actor (GDPR right of access), as plain JSON-able data.
 * The iCal token is a credential, so only its existence is reported.
 */
export async function exportMyData(db: Tx, actor: Actor) {
  assertCan(actor, 'account.manage');
  const member = await db.member.findFirst({
    where: { id: actor.memberId, communeId: actor.communeId, erasedAt: null },
    include: { commune: { select: { name: true, insee: true } } },
  });
  if (!member) throw new NotFoundError('members.gone');
  const me = member.id;
  const taskFields = { number: true, title: true, status: true, dueAt: true, createdAt: true, completedAt: true } as const;
  const [identities, tasksCreated, tasksAssigned, reminders, votes, attendances, audits] = await Promise.all([
    db.chatIdentity.findMany({
      where: { memberId: me },
      select: { platform: true, workspace: true, userId: true, username: true, directChatId: true, createdAt: true },
      orderBy: { createdAt: 'asc' },
    }),
    db.task.findMany({ where: { createdById: me }, select: taskFields, orderBy: { number: 'asc' } }),
    db.task.findMany({ where: { assigneeId: me }, select: taskFields, orderBy: { number: 'asc' } }),
    db.reminder.findMany({
      where: { OR: [{ createdById: me }, { targetMemberId: me }] },
      select: { number: true, kind: true, text: true, firstAt: true, rrule: true, timezone: true, nextAt: true, status: true, createdAt: true },
      orderBy: { number: 'asc' },
    }),
    db.pollVote.findMany({
      where: { memberId: me },
      select: { answer: true, votedAt: true, slot: { select: { label: true, startsAt: true, poll: { select: { number: true, title: true } } } } },
      orderBy: { votedAt: 'asc' },
    }),
    db.meetingAttendee.findMany({
      where: { memberId: me },
      select: { rsvp: true, respondedAt: true, meeting: { select: { number: true, title: true, startsAt: true } } },
    }),
    db.auditEvent.findMany({
      where: { actorId: me },
      select: { id: true, action: true, entityType: true, entityId: true, platform: true, before: true, after: true, createdAt: true },
      orderBy: { id: 'asc' },
    }),
  ]);
  return {
    member: {
      id: member.id,
      commune: member.commune,
      role: member.role,
      displayName: member.displayName,
      locale: member.locale,
      timezone: member.timezone,
      digestTime: member.digestTime,
      calendarFeed: member.calendarToken !== null,
      createdAt: member.createdAt,
    },
    identities,
    tasksCreated,
    tasksAssigned,
    reminders,
    votes: votes.map((v) => ({ poll: v.slot.poll, slot: v.slot.label, startsAt: v.slot.startsAt, answer: v.answer, votedAt: v.votedAt })),
    attendances: attendances.map((a) => ({ meeting: a.meeting, rsvp: a.rsvp, respondedAt: a.respondedAt })),
    audit: audits.map((a) => ({ ...a, id: a.id.toString() })),
  };
}

/** What {@link exportMyData} returns. */
export type MyData = Awaited<ReturnType<typeof exportMyData>>;

/**
 * Throws when the actor may not be forgotten: the last mayor of a commune must hand over first,
 * or nobody could invite a mayor again.
 */
export async function assertMayForget(db: Tx, actor: Actor): Promise<void> {
  assertCan(actor, 'account.manage');
  if (actor.role !== 'MAYOR') return;
  const others = await db.member.count({
    where: { communeId: actor.communeId, role: 'MAYOR', erasedAt: null, id: { not: actor.memberId } },
  });
  if (others === 0) throw new UserError('E_LAST_MAYOR', 'members.lastMayor');
}

/** What {@link forgetMe} erased. */
export interface Forgotten {
  identitiesRemoved: number;
  remindersCancelled: number;
}

/**
 * Erases the actor (GDPR right to erasure): unlinks every chat account, replaces the name by
 * an anonymous label, clears personal settings and the name on the invitation they used, and
 * cancels their reminders (those aimed at them and the personal ones they wrote). Tasks,
 * meetings and audit rows stay: they are the commune's public trace, now pointing to an
 * anonymous member.
 */
export async function forgetMe(db: Tx, actor: Actor, now: Date): Promise<Forgotten> {
  await assertMayForget(db, actor);
  await queryRaw(db, Prisma.sql`SELECT 1 FROM "Member" WHERE "id" = ${actor.memberId} FOR UPDATE`);
  const member = await liveMember(db, actor);
  const identities = await db.chatIdentity.deleteMany({ where: { memberId: member.id } });
  const reminders = await db.reminder.updateMany({
    where: { status: 'ACTIVE', OR: [{ targetMemberId: member.id }, { createdById: member.id, kind: 'USER' }] },
    data: { status: 'CANCELLED', nextAt: null },
  });
  await db.invitation.updateMany({ where: { usedById: member.id }, data: { name: null } });
  await db.member.update({
    where: { id: member.id },
    data: { displayName: ERASED_NAME, searchName: fold(ERASED_NAME), erasedAt: now, calendarToken: null, digestTime: null, timezone: null },
  });
  await audit(db, actor, {
    action: 'member.forget',
    entityType: 'member',
    entityId: member.id,
    after: { erasedAt: now, identitiesRemoved: identities.count, remindersCancelled: reminders.count },
  });
  return { identitiesRemoved: identities.count, remindersCancelled: reminders.count };
}
