/**
 * What a morning digest holds (issue 3): for a member, their overdue tasks and those due
 * today, today's meetings, today's reminders and what changed in the commune since yesterday;
 * for the council room, the same for the whole commune. Empty means nothing to send.
 */
import { DateTime } from 'luxon';
import type { Tx } from '../db/client.js';

/** A digest's content. */
export interface DigestContent {
  overdue: { number: number; title: string; dueAt: Date }[];
  dueToday: { number: number; title: string; dueAt: Date }[];
  meetings: { title: string; startsAt: Date; place: string | null }[];
  reminders: { text: string; at: Date }[];
  changes: { created: number; done: number; other: number };
}

/** Whether a digest has nothing worth sending. */
export function isEmptyDigest(d: DigestContent): boolean {
  return d.overdue.length + d.dueToday.length + d.meetings.length + d.reminders.length + d.changes.created + d.changes.done + d.changes.other === 0;
}

/** The local day of `now` in `zone`, as instants, and its `YYYY-MM-DD` name. */
export function localDay(now: Date, zone: string): { start: Date; end: Date; day: string } {
  const start = DateTime.fromJSDate(now, { zone }).startOf('day');
  return { start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate(), day: start.toISODate()! };
}

/** The commune's changes in the 24 hours before `now` (not after it: a digest tells what was done before it). */
async function changesBefore(db: Tx, communeId: string, now: Date): Promise<DigestContent['changes']> {
  const window = { gte: new Date(now.getTime() - 24 * 3600_000), lt: now };
  const rows = await db.auditEvent.groupBy({ by: ['action'], where: { communeId, createdAt: window }, _count: { _all: true } });
  const count = (a: string) => rows.find((r) => r.action === a)?._count._all ?? 0;
  const all = rows.reduce((n, r) => n + r._count._all, 0);
  return { created: count('task.create'), done: count('task.complete'), other: all - count('task.create') - count('task.complete') };
}

/** The digest of one member for the local day of `now` in `zone`. */
export async function memberDigest(db: Tx, member: { id: string; communeId: string }, zone: string, now: Date): Promise<DigestContent> {
  const { start, end } = localDay(now, zone);
  const select = { number: true, title: true, dueAt: true } as const;
  const [overdue, dueToday, meetings, reminders, changes] = await Promise.all([
    db.task.findMany({ where: { assigneeId: member.id, status: 'OPEN', dueAt: { lt: start } }, select, orderBy: { dueAt: 'asc' }, take: 10 }),
    db.task.findMany({ where: { assigneeId: member.id, status: 'OPEN', dueAt: { gte: start, lt: end } }, select, orderBy: { dueAt: 'asc' }, take: 10 }),
    db.meeting.findMany({
      where: { status: 'SCHEDULED', startsAt: { gte: start, lt: end }, attendees: { some: { memberId: member.id, rsvp: { not: 'NO' } } } },
      select: { title: true, startsAt: true, place: true },
      orderBy: { startsAt: 'asc' },
    }),
    db.reminder.findMany({ where: { targetMemberId: member.id, kind: 'USER', status: 'ACTIVE', nextAt: { gte: now, lt: end } }, select: { text: true, nextAt: true }, orderBy: { nextAt: 'asc' }, take: 10 }),
    changesBefore(db, member.communeId, now),
  ]);
  return {
    overdue: overdue.map((t) => ({ ...t, dueAt: t.dueAt! })),
    dueToday: dueToday.map((t) => ({ ...t, dueAt: t.dueAt! })),
    meetings,
    reminders: reminders.map((r) => ({ text: r.text, at: r.nextAt! })),
    changes,
  };
}

/** The digest of the whole commune (council room) for the local day of `now`. */
export async function communeDigest(db: Tx, communeId: string, zone: string, now: Date): Promise<DigestContent> {
  const { start, end } = localDay(now, zone);
  const select = { number: true, title: true, dueAt: true } as const;
  const [overdue, dueToday, meetings, changes] = await Promise.all([
    db.task.findMany({ where: { communeId, status: 'OPEN', dueAt: { lt: start } }, select, orderBy: { dueAt: 'asc' }, take: 10 }),
    db.task.findMany({ where: { communeId, status: 'OPEN', dueAt: { gte: start, lt: end } }, select, orderBy: { dueAt: 'asc' }, take: 10 }),
    db.meeting.findMany({ where: { communeId, status: 'SCHEDULED', startsAt: { gte: start, lt: end } }, select: { title: true, startsAt: true, place: true }, orderBy: { startsAt: 'asc' } }),
    changesBefore(db, communeId, now),
  ]);
  return { overdue: overdue.map((t) => ({ ...t, dueAt: t.dueAt! })), dueToday: dueToday.map((t) => ({ ...t, dueAt: t.dueAt! })), meetings, reminders: [], changes };
}
