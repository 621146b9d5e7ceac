/**
 * Meeting use cases (SPEC section 2): convene, answer, move, cancel, list; each meeting's
 * iCalendar rendering and a member's private iCal feed. Every change writes its audit row and
 * keeps the meeting's 24 h / 1 h reminders in step, in the caller's transaction.
 */
import { randomBytes } from 'node:crypto';
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import ical, { ICalEventStatus } from 'ical-generator';
import { DateTime } from 'luxon';
import { ForbiddenError, NotFoundError, UserError } from '../core/errors.js';
import type { Tx } from '../db/client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Rsvp } from '../generated/prisma/enums.js';
import { audit } from './audit.js';
import { syncMeetingReminders } from './reminders.js';
import { assertCan, can, type Actor } from './permissions.js';
import { queryRaw } from '../db/sql.js';

/** Roles convened by `@conseil`: the municipal council. */
export const COUNCIL_ROLES = ['MAYOR', 'DEPUTY', 'COUNCILLOR'] as const;
/** Bounds of a meeting's length, in minutes. */
export const MEETING_DURATION = { min: 5, max: 24 * 60, default: 60 } as const;
/** How far back the iCal feed goes, and how many meetings it holds at most. */
export const FEED_WINDOW = { pastDays: 60, max: 300 } as const;

// Two relations at most: a third makes Prisma load them concurrently on the transaction's one connection.
const VIEW = {
  createdBy: { select: { id: true, displayName: true } },
  attendees: { include: { member: { select: { id: true, displayName: true } } }, orderBy: { member: { displayName: 'asc' } } },
} as const satisfies Prisma.MeetingInclude;

/** A meeting with its convener and its attendees' answers. */
export type MeetingView = Prisma.MeetingGetPayload<{ include: typeof VIEW }>;

/** An answer to a convocation. */
export type RsvpAnswer = Exclude<Rsvp, 'PENDING'>;

/** What a change to a meeting produced: the meeting and the reminder ids to (re)schedule. */
export interface MeetingChange {
  meeting: MeetingView;
  reminderIds: string[];
}

/** Input of {@link createMeeting}. */
export interface NewMeeting {
  title: string;
  startsAt: Date;
  durationMin?: number;
  place?: string | null;
  /** Member ids, or `'council'` for every mayor, deputy and councillor of the commune. */
  attendees: string[] | 'council';
  /** More members to invite besides `attendees` (`@conseil @Sophie`). */
  alsoInvite?: string[];
  /** Attendees whose answer starts as Yes (the voters of a poll's chosen slot). */
  accepted?: string[];
}

function trace(m: { number: number; title: string; startsAt: Date; durationMin: number; place: string | null; status: string; sequence: number }) {
  return { number: m.number, title: m.title, startsAt: m.startsAt, durationMin: m.durationMin, place: m.place, status: m.status, sequence: m.sequence };
}

function checkFields(title: string, startsAt: Date, durationMin: number, place: string | null, now: Date): void {
  if (!title) throw new UserError('E_INVALID', 'meetings.noTitle');
  if (title.length > 200) throw new UserError('E_INVALID', 'meetings.titleTooLong', { max: 200 });
  if (place && place.length > 200) throw new UserError('E_INVALID', 'meetings.placeTooLong', { max: 200 });
  if (!Number.isInteger(durationMin) || durationMin < MEETING_DURATION.min || durationMin > MEETING_DURATION.max) {
    throw new UserError('E_INVALID', 'meetings.badDuration');
  }
  if (startsAt.getTime() < now.getTime() - 60_000) throw new UserError('E_INVALID', 'meetings.past');
}

/** The commune's zone, in which its meetings (and their reminders) are kept. */
async function communeZone(db: Tx, communeId: string): Promise<string> {
  return (await db.commune.findUniqueOrThrow({ where: { id: communeId }, select: { timezone: true } })).timezone;
}

/**
 * Convenes a meeting: the commune's next number, the convener always attends (and says Yes),
 * an audit row, and the 24 h / 1 h reminders.
 */
export async function createMeeting(db: Tx, actor: Actor, input: NewMeeting, now: Date): Promise<MeetingChange> {
  assertCan(actor, 'meeting.create');
  const title = input.title.trim();
  const place = input.place?.trim() || null;
  const durationMin = input.durationMin ?? MEETING_DURATION.default;
  checkFields(title, input.startsAt, durationMin, place, now);
  const named = [...new Set([...(input.attendees === 'council' ? [] : input.attendees), ...(input.alsoInvite ?? [])])];
  const found = await db.member.findMany({ where: { communeId: actor.communeId, erasedAt: null, id: { in: named } }, select: { id: true } });
  if (found.length !== named.length) throw new NotFoundError('meetings.attendeeUnknown');
  const council =
    input.attendees === 'council'
      ? await db.member.findMany({ where: { communeId: actor.communeId, erasedAt: null, role: { in: [...COUNCIL_ROLES] } }, select: { id: true } })
      : [];
  const ids = [...new Set([actor.memberId, ...council.map((m) => m.id), ...named])];
  const accepted = new Set([actor.memberId, ...(input.accepted ?? [])]);
  const { meetingSeq } = await db.commune.update({
    where: { id: actor.communeId },
    data: { meetingSeq: { increment: 1 } },
    select: { meetingSeq: true },
  });
  const created = await db.meeting.create({
    data: {
      communeId: actor.communeId,
      number: meetingSeq,
      title,
      startsAt: input.startsAt,
      durationMin,
      place,
      createdById: actor.memberId,
      attendees: {
        create: ids.map((memberId) => (accepted.has(memberId) ? { memberId, rsvp: 'YES' as const, respondedAt: now } : { memberId })),
      },
    },
    include: VIEW,
  });
  await audit(db, actor, {
    action: 'meeting.create',
    entityType: 'meeting',
    entityId: created.id,
    after: { ...trace(created), attendees: ids, council: input.attendees === 'council' },
  });
  const reminderIds = await syncMeetingReminders(db, created, await communeZone(db, actor.communeId), now);
  return { meeting: created, reminderIds };
}

/** The meeting numbered `number` in the actor's commune, locked for a change. */
export async function meetingByNumber(db: Tx, actor: Actor, number: number): Promise<MeetingView> {
  await queryRaw(db, Prisma.sql`SELECT 1 FROM "Meeting" WHERE "communeId" = ${actor.communeId} AND "number" = ${number} FOR UPDATE`);
  const meeting = await db.meeting.findUnique({ where: { communeId_number: { communeId: actor.communeId, number } }, include: VIEW });
  if (!meeting) throw new NotFoundError('meetings.notFound', { n: number });
  return meeting;
}

/** The meeting with id `id` in the actor's commune (buttons carry ids), locked for a change. */
export async function meetingById(db: Tx, actor: Actor, id: string): Promise<MeetingView> {
  const found = await db.meeting.findFirst({ where: { id, communeId: actor.communeId }, select: { number: true } });
  if (!found) throw new NotFoundError('meetings.gone');
  return meetingByNumber(db, actor, found.number);
}

/** Whether the actor may move or cancel a meeting: its convener, the mayor or a deputy. */
export function mayChangeMeeting(actor: Actor, meeting: { createdById: string }): boolean {
  return meeting.createdById === actor.memberId || actor.role === 'MAYOR' || actor.role === 'DEPUTY';
}

/** The end of a meeting. */
export function meetingEnd(meeting: { startsAt: Date; durationMin: number }): Date {
  return new Date(meeting.startsAt.getTime() + meeting.durationMin * 60_000);
}

/** What {@link rsvp} did. */
export interface RsvpResult {
  meeting: MeetingView;
  previous: Rsvp;
  answer: RsvpAnswer;
  changed: boolean;
}

/** Records (or changes) an attendee's answer. Only attendees answer; a cancelled or past meeting takes no answer. */
export async function rsvp(db: Tx, actor: Actor, meetingId: string, answer: RsvpAnswer, now: Date): Promise<RsvpResult> {
  const meeting = await meetingById(db, actor, meetingId);
  const mine = meeting.attendees.find((a) => a.memberId === actor.memberId);
  if (!mine) throw new UserError('E_NOT_INVITED', 'meetings.notInvited', { n: meeting.number });
  if (meeting.status === 'CANCELLED') throw new UserError('E_STATE', 'meetings.cancelledAlready', { n: meeting.number });
  if (meetingEnd(meeting) <= now) throw new UserError('E_STATE', 'meetings.over', { n: meeting.number });
  const previous = mine.rsvp;
  if (previous === answer) return { meeting, previous, answer, changed: false };
  await db.meetingAttendee.update({
    where: { meetingId_memberId: { meetingId: meeting.id, memberId: actor.memberId } },
    data: { rsvp: answer, respondedAt: now },
  });
  await audit(db, actor, { action: 'meeting.rsvp', entityType: 'meeting', entityId: meeting.id, before: { rsvp: previous }, after: { rsvp: answer } });
  const fresh = await db.meeting.findUniqueOrThrow({ where: { id: meeting.id }, include: VIEW });
  return { meeting: fresh, previous, answer, changed: true };
}

function assertMayChange(actor: Actor, meeting: MeetingView, action: string): void {
  if (!mayChangeMeeting(actor, meeting)) throw new ForbiddenError(action);
  if (meeting.status === 'CANCELLED') throw new UserError('E_STATE', 'meetings.cancelledAlready', { n: meeting.number });
}

/**
 * Moves a meeting (and optionally changes its length). Raises the iCalendar SEQUENCE; the
 * answers given for the old time start over (except the mover's), as RFC 5546 does for a
 * rescheduled event.
 */
export async function moveMeeting(db: Tx, actor: Actor, meeting: MeetingView, startsAt: Date, now: Date, durationMin = meeting.durationMin): Promise<MeetingChange> {
  assertMayChange(actor, meeting, 'meeting.move');
  checkFields(meeting.title, startsAt, durationMin, meeting.place, now);
  if (startsAt.getTime() === meeting.startsAt.getTime() && durationMin === meeting.durationMin) {
    throw new UserError('E_STATE', 'meetings.sameTime', { n: meeting.number });
  }
  await db.meetingAttendee.updateMany({ where: { meetingId: meeting.id, memberId: { not: actor.memberId } }, data: { rsvp: 'PENDING', respondedAt: null } });
  const moved = await db.meeting.update({
    where: { id: meeting.id },
    data: { startsAt, durationMin, sequence: { increment: 1 } },
    include: VIEW,
  });
  await audit(db, actor, { action: 'meeting.move', entityType: 'meeting', entityId: meeting.id, before: trace(meeting), after: trace(moved) });
  const reminderIds = await syncMeetingReminders(db, moved, await communeZone(db, moved.communeId), now);
  return { meeting: moved, reminderIds };
}

/** Cancels a meeting: STATUS:CANCELLED in calendars, reminders cancelled. */
export async function cancelMeeting(db: Tx, actor: Actor, meeting: MeetingView, now: Date): Promise<MeetingChange> {
  assertMayChange(actor, meeting, 'meeting.cancel');
  const cancelled = await db.meeting.update({
    where: { id: meeting.id },
    data: { status: 'CANCELLED', sequence: { increment: 1 } },
    include: VIEW,
  });
  await audit(db, actor, { action: 'meeting.cancel', entityType: 'meeting', entityId: meeting.id, before: trace(meeting), after: trace(cancelled) });
  const reminderIds = await syncMeetingReminders(db, cancelled, await communeZone(db, cancelled.communeId), now);
  return { meeting: cancelled, reminderIds };
}

/** The scheduled meetings a member attends that are not over by `from` and start before `until`, soonest first. */
export async function listUpcomingMeetings(db: Tx, memberId: string, from: Date, until: Date, take = 50) {
  const rows = await db.meetingAttendee.findMany({
    where: {
      memberId,
      meeting: { status: 'SCHEDULED', startsAt: { lt: until, gte: new Date(from.getTime() - MEETING_DURATION.max * 60_000) } },
    },
    include: { meeting: true },
    orderBy: { meeting: { startsAt: 'asc' } },
    take: take + 10,
  });
  return rows
    .filter((r) => meetingEnd(r.meeting) > from)
    .slice(0, take)
    .map((r) => ({ ...r.meeting, rsvp: r.rsvp }));
}

// ---------------------------------------------------------------------------------------------
// iCalendar.

/** The iCalendar UID of a meeting: stable across moves and cancellation. */
export function meetingUid(meeting: { id: string }): string {
  return `meeting-${meeting.id}@pilote`;
}

const vtimezones = new Map<string, string | null>();

/** The VTIMEZONE of a zone, read once per process (the library reads a file). */
function vtimezone(zone: string): string | null {
  if (!vtimezones.has(zone)) vtimezones.set(zone, getVtimezoneComponent(zone));
  return vtimezones.get(zone) ?? null;
}

/** A meeting as the iCalendar rendering needs it. */
export interface IcsMeeting {
  id: string;
  number: number;
  title: string;
  startsAt: Date;
  durationMin: number;
  place: string | null;
  status: string;
  sequence: number;
  updatedAt: Date;
}

function calendar(name: string) {
  // No calendar-level zone: DTSTAMP stays in UTC as RFC 5545 requires; each event carries its TZID.
  return ical({ name, prodId: { company: 'Pilote', product: 'Pilote', language: 'FR' }, timezone: { name: null, generator: vtimezone } });
}

function addEvent(cal: ReturnType<typeof calendar>, m: IcsMeeting, zone: string): void {
  const start = DateTime.fromJSDate(m.startsAt, { zone });
  cal.createEvent({
    id: meetingUid(m),
    sequence: m.sequence,
    stamp: m.updatedAt,
    start,
    end: start.plus({ minutes: m.durationMin }),
    timezone: zone,
    summary: m.title,
    location: m.place,
    status: m.status === 'CANCELLED' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
}

/** One meeting as an `.ics` file: a VEVENT with its VTIMEZONE (`zone` is the commune's). */
export function meetingIcs(meeting: IcsMeeting, zone: string, calendarName = 'Pilote'): string {
  const cal = calendar(calendarName);
  addEvent(cal, meeting, zone);
  return cal.toString();
}

/** A member's private calendar token, made on first use; `rotate` replaces it (the old URL stops working). */
export async function calendarToken(db: Tx, actor: Actor, rotate = false): Promise<string> {
  assertCan(actor, 'agenda.read');
  const member = await db.member.findUniqueOrThrow({ where: { id: actor.memberId }, select: { calendarToken: true } });
  if (member.calendarToken && !rotate) return member.calendarToken;
  const token = randomBytes(32).toString('base64url');
  await db.member.update({ where: { id: actor.memberId }, data: { calendarToken: token } });
  // The token is a secret: the trace says that it changed, never what it is.
  await audit(db, actor, { action: member.calendarToken ? 'calendar.rotate' : 'calendar.create', entityType: 'member', entityId: actor.memberId });
  return token;
}

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

async function memberByToken(db: Tx, token: string) {
  if (!TOKEN_RE.test(token)) return undefined;
  const member = await db.member.findUnique({
    where: { calendarToken: token },
    select: { id: true, communeId: true, erasedAt: true, role: true, commune: { select: { name: true, timezone: true } } },
  });
  return member && !member.erasedAt && can(member.role, 'agenda.read') ? member : undefined;
}

/** One meeting the token's member attends, as an `.ics`; undefined when there is none such. */
export async function memberMeetingIcs(db: Tx, token: string, number: number): Promise<string | undefined> {
  const member = await memberByToken(db, token);
  if (!member) return undefined;
  const meeting = await db.meeting.findFirst({
    where: { communeId: member.communeId, number, attendees: { some: { memberId: member.id } } },
  });
  return meeting ? meetingIcs(meeting, member.commune.timezone, `Pilote — ${member.commune.name}`) : undefined;
}

/**
 * A member's feed by token: their meetings from {@link FEED_WINDOW}.pastDays ago on (cancelled
 * ones too, so calendars drop them), at most {@link FEED_WINDOW}.max. Undefined for an unknown
 * token. Two queries whatever the token.
 */
export async function calendarFeed(db: Tx, token: string, now: Date): Promise<string | undefined> {
  const member = await memberByToken(db, token);
  if (!member) return undefined;
  const since = new Date(now.getTime() - FEED_WINDOW.pastDays * 24 * 3600_000);
  const meetings = await db.meeting.findMany({
    where: { startsAt: { gte: since }, attendees: { some: { memberId: member.id } } },
    orderBy: { startsAt: 'asc' },
    take: FEED_WINDOW.max,
  });
  const cal = calendar(`Pilote — ${member.commune.name}`);
  cal.ttl(3600);
  for (const m of meetings) addEvent(cal, m, member.commune.timezone);
  return cal.toString();
}
