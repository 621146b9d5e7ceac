/**
 * Date polls (SPEC section 2): a title and 2 to 6 slots; members vote per slot (a vote can be
 * changed); the author (or the mayor) sees the tally and closes the poll, and the best slot
 * becomes a meeting with the voters as attendees.
 */
import { ForbiddenError, NotFoundError, UserError } from '../core/errors.js';
import type { Tx } from '../db/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { audit } from './audit.js';
import { createMeeting, type MeetingChange } from './meetings.js';
import { assertCan, type Actor } from './permissions.js';
import { queryRaw } from '../db/sql.js';

/** How many slots a poll proposes. */
export const POLL_SLOTS = { min: 2, max: 6 } as const;

const VIEW = {
  author: { select: { id: true, displayName: true, erasedAt: true } },
  slots: {
    orderBy: { position: 'asc' },
    include: { votes: { include: { member: { select: { id: true, displayName: true, erasedAt: true } } }, orderBy: { votedAt: 'asc' } } },
  },
} as const satisfies Prisma.DatePollInclude;

/** A poll with its author, slots and votes. */
export type PollView = Prisma.DatePollGetPayload<{ include: typeof VIEW }>;

/** A slot to propose: the instant and the words it was typed with. */
export interface NewSlot {
  startsAt: Date;
  label: string;
}

/** Creates a poll with the commune's next number; slots are kept in the order given. */
export async function createPoll(db: Tx, actor: Actor, title: string, slots: NewSlot[], now: Date): Promise<PollView> {
  assertCan(actor, 'poll.create');
  const clean = title.trim();
  if (!clean) throw new UserError('E_INVALID', 'polls.noTitle');
  if (clean.length > 200) throw new UserError('E_INVALID', 'polls.titleTooLong', { max: 200 });
  if (slots.length < POLL_SLOTS.min || slots.length > POLL_SLOTS.max) throw new UserError('E_INVALID', 'polls.slotCount', POLL_SLOTS);
  const seen = new Set<number>();
  for (const s of slots) {
    if (s.startsAt.getTime() < now.getTime() - 60_000) throw new UserError('E_INVALID', 'polls.pastSlot', { slot: s.label });
    if (seen.has(s.startsAt.getTime())) throw new UserError('E_INVALID', 'polls.duplicateSlot', { slot: s.label });
    seen.add(s.startsAt.getTime());
  }
  const { pollSeq } = await db.commune.update({ where: { id: actor.communeId }, data: { pollSeq: { increment: 1 } }, select: { pollSeq: true } });
  const poll = await db.datePoll.create({
    data: {
      communeId: actor.communeId,
      number: pollSeq,
      title: clean,
      authorId: actor.memberId,
      slots: { create: slots.map((s, i) => ({ position: i + 1, startsAt: s.startsAt, label: s.label.trim().slice(0, 100) })) },
    },
    include: VIEW,
  });
  await audit(db, actor, {
    action: 'poll.create',
    entityType: 'poll',
    entityId: poll.id,
    after: { number: poll.number, title: poll.title, slots: poll.slots.map((s) => s.startsAt) },
  });
  return poll;
}

/** The poll numbered `number` in the actor's commune, locked for a change. */
export async function pollByNumber(db: Tx, actor: Actor, number: number): Promise<PollView> {
  await queryRaw(db, Prisma.sql`SELECT 1 FROM "DatePoll" WHERE "communeId" = ${actor.communeId} AND "number" = ${number} FOR UPDATE`);
  const poll = await db.datePoll.findUnique({ where: { communeId_number: { communeId: actor.communeId, number } }, include: VIEW });
  if (!poll) throw new NotFoundError('polls.notFound', { n: number });
  return poll;
}

/** The poll a slot belongs to (buttons carry slot ids), locked, with the slot. */
export async function pollBySlot(db: Tx, actor: Actor, slotId: string): Promise<{ poll: PollView; slotId: string }> {
  const slot = await db.pollSlot.findFirst({ where: { id: slotId, poll: { communeId: actor.communeId } }, select: { poll: { select: { number: true } } } });
  if (!slot) throw new NotFoundError('polls.gone');
  return { poll: await pollByNumber(db, actor, slot.poll.number), slotId };
}

/** What {@link vote} did. */
export interface VoteResult {
  poll: PollView;
  position: number;
  /** True when the actor now says Yes to the slot, false when the vote was taken back. */
  yes: boolean;
}

/**
 * Votes for a slot (given by id, or by position 1…n). Without `answer` a vote toggles: a Yes
 * becomes no vote, anything else a Yes. An explicit answer is stored as given.
 */
export async function vote(
  db: Tx,
  actor: Actor,
  poll: PollView,
  slot: { slotId: string } | { position: number },
  answer?: 'YES' | 'NO' | 'MAYBE',
): Promise<VoteResult> {
  assertCan(actor, 'agenda.read');
  if (poll.status !== 'OPEN') throw new UserError('E_STATE', 'polls.closed', { n: poll.number });
  const target = 'slotId' in slot ? poll.slots.find((s) => s.id === slot.slotId) : poll.slots.find((s) => s.position === slot.position);
  if (!target) throw new NotFoundError('polls.noSuchSlot', { n: poll.number, max: poll.slots.length });
  const key = { slotId_memberId: { slotId: target.id, memberId: actor.memberId } };
  const previous = target.votes.find((v) => v.memberId === actor.memberId)?.answer ?? null;
  const next = answer ?? (previous === 'YES' ? null : 'YES');
  if (next === null) await db.pollVote.delete({ where: key });
  else await db.pollVote.upsert({ where: key, create: { slotId: target.id, memberId: actor.memberId, answer: next }, update: { answer: next, votedAt: new Date() } });
  await audit(db, actor, {
    action: 'poll.vote',
    entityType: 'poll',
    entityId: poll.id,
    before: { slot: target.position, answer: previous },
    after: { slot: target.position, answer: next },
  });
  const fresh = await db.datePoll.findUniqueOrThrow({ where: { id: poll.id }, include: VIEW });
  return { poll: fresh, position: target.position, yes: next === 'YES' };
}

/** One slot's count. */
export interface SlotTally {
  id: string;
  position: number;
  startsAt: Date;
  label: string;
  yes: string[];
  maybe: string[];
  no: string[];
}

/** The tally of a poll: per slot, who said Yes / Maybe / No; the best slot; every voter. */
export interface Tally {
  slots: SlotTally[];
  /** Most Yes, ties to the earliest; undefined when nobody said Yes. */
  best?: SlotTally;
  voters: { id: string; displayName: string }[];
}

/** Counts a poll's votes (pure). */
export function tally(poll: PollView): Tally {
  const voters = new Map<string, { id: string; displayName: string }>();
  const slots = poll.slots.map((s) => {
    const names = (answer: string) => s.votes.filter((v) => v.answer === answer).map((v) => v.member.displayName);
    for (const v of s.votes) if (!v.member.erasedAt) voters.set(v.member.id, { id: v.member.id, displayName: v.member.displayName });
    return { id: s.id, position: s.position, startsAt: s.startsAt, label: s.label, yes: names('YES'), maybe: names('MAYBE'), no: names('NO') };
  });
  let best: SlotTally | undefined;
  for (const s of slots) {
    if (s.yes.length === 0) continue;
    if (!best || s.yes.length > best.yes.length || (s.yes.length === best.yes.length && s.startsAt < best.startsAt)) best = s;
  }
  return { slots, ...(best ? { best } : {}), voters: [...voters.values()] };
}

/** Whether the actor may see the tally of and close a poll: its author or the mayor. */
export function mayManagePoll(actor: Actor, poll: { authorId: string }): boolean {
  return poll.authorId === actor.memberId || actor.role === 'MAYOR';
}

/** The tally, for the author or the mayor. */
export function pollResults(actor: Actor, poll: PollView): Tally {
  if (!mayManagePoll(actor, poll)) throw new ForbiddenError('poll.results');
  return tally(poll);
}

/** What {@link closePoll} did. */
export interface CloseResult extends MeetingChange {
  poll: PollView;
  tally: Tally;
}

/**
 * Closes a poll (author or mayor): the best slot becomes a meeting convened by the actor with
 * every voter (and the author) as attendees; those who said Yes to that slot start as Yes.
 */
export async function closePoll(
  db: Tx,
  actor: Actor,
  poll: PollView,
  now: Date,
  meeting: { durationMin?: number; place?: string | null } = {},
): Promise<CloseResult> {
  if (!mayManagePoll(actor, poll)) throw new ForbiddenError('poll.close');
  if (poll.status !== 'OPEN') throw new UserError('E_STATE', 'polls.closed', { n: poll.number });
  const t = tally(poll);
  if (!t.best) throw new UserError('E_STATE', 'polls.noYes', { n: poll.number });
  const best = t.best;
  const slot = poll.slots.find((s) => s.id === best.id)!;
  // Members who asked to be forgotten since they voted are not convened.
  const accepted = slot.votes.filter((v) => v.answer === 'YES' && !v.member.erasedAt).map((v) => v.memberId);
  const created = await createMeeting(
    db,
    actor,
    {
      title: poll.title,
      startsAt: best.startsAt,
      ...(meeting.durationMin !== undefined ? { durationMin: meeting.durationMin } : {}),
      place: meeting.place ?? null,
      attendees: [...new Set([...(poll.author.erasedAt ? [] : [poll.authorId]), ...t.voters.map((v) => v.id)])],
      accepted,
    },
    now,
  );
  const closed = await db.datePoll.update({
    where: { id: poll.id },
    data: { status: 'CLOSED', closedAt: now, meetingId: created.meeting.id },
    include: VIEW,
  });
  await audit(db, actor, {
    action: 'poll.close',
    entityType: 'poll',
    entityId: poll.id,
    before: { status: poll.status },
    after: { status: 'CLOSED', slot: best.position, startsAt: best.startsAt, meetingId: created.meeting.id, yes: best.yes.length },
  });
  return { ...created, poll: closed, tally: t };
}
