/**
 * Reminders (SPEC sections 2 and 4): one-shot or RRULE in an IANA zone, for oneself, another
 * member or a bound room; and the reminders the system keeps for tasks (due time, next
 * morning) and meetings (24 h and 1 h before). Postgres is the truth: `nextAt` is the next
 * firing; the BullMQ jobs that carry them are derived from it (src/jobs/reminders.ts).
 */
import { DateTime } from 'luxon';
import { ForbiddenError, NotFoundError, UserError } from '../core/errors.js';
import type { Tx } from '../db/client.js';
import { Prisma, type Reminder } from '../generated/prisma/client.js';
import { nextOccurrence } from '../time/index.js';
import { audit } from './audit.js';
import { assertCan, can, type Actor } from './permissions.js';
import { queryRaw } from '../db/sql.js';

/** Hour a reminder fires when only a day is given (SPEC section 2). */
export const REMINDER_DEFAULT_HOUR = 9;
/** Minutes before a meeting its attendees are reminded. */
export const MEETING_REMINDER_OFFSETS = [24 * 60, 60] as const;

/** Input of {@link createReminder}. */
export interface NewReminder {
  text: string;
  at: Date;
  rrule?: string | null;
  zone: string;
  targetMemberId?: string | null;
  targetRoomId?: string | null;
}

async function nextNumber(db: Tx, communeId: string): Promise<number> {
  const { reminderSeq } = await db.commune.update({ where: { id: communeId }, data: { reminderSeq: { increment: 1 } }, select: { reminderSeq: true } });
  return reminderSeq;
}

/** Creates a reminder for the actor, another member (deputies, mayor) or a bound room. */
export async function createReminder(db: Tx, actor: Actor, input: NewReminder, now: Date): Promise<Reminder> {
  assertCan(actor, 'reminder.create');
  const text = input.text.trim();
  if (!text) throw new UserError('E_INVALID', 'reminders.noText');
  if (text.length > 500) throw new UserError('E_INVALID', 'reminders.textTooLong', { max: 500 });
  if (input.at.getTime() < now.getTime() - 60_000) throw new UserError('E_INVALID', 'reminders.past');
  const targetMemberId = input.targetRoomId ? null : (input.targetMemberId ?? actor.memberId);
  if (targetMemberId !== actor.memberId) assertCan(actor, 'reminder.forOthers');
  const reminder = await db.reminder.create({
    data: {
      communeId: actor.communeId,
      number: await nextNumber(db, actor.communeId),
      kind: 'USER',
      createdById: actor.memberId,
      targetMemberId,
      targetRoomId: input.targetRoomId ?? null,
      text,
      firstAt: input.at,
      nextAt: input.at,
      rrule: input.rrule ?? null,
      timezone: input.zone,
    },
  });
  await audit(db, actor, { action: 'reminder.create', entityType: 'reminder', entityId: reminder.id, after: trace(reminder) });
  return reminder;
}

function trace(r: Reminder) {
  return { number: r.number, text: r.text, nextAt: r.nextAt, rrule: r.rrule, timezone: r.timezone, status: r.status, targetMemberId: r.targetMemberId, targetRoomId: r.targetRoomId };
}

/** Active reminders the actor made or receives, soonest first. */
export async function listReminders(db: Tx, actor: Actor) {
  assertCan(actor, 'reminder.create');
  return db.reminder.findMany({
    where: { communeId: actor.communeId, kind: 'USER', status: 'ACTIVE', OR: [{ createdById: actor.memberId }, { targetMemberId: actor.memberId }] },
    include: { targetMember: { select: { displayName: true } }, targetRoom: { select: { purpose: true, title: true } } },
    orderBy: { nextAt: 'asc' },
    take: 50,
  });
}

/** The reminder numbered `number` in the actor's commune, locked for a change. */
export async function reminderByNumber(db: Tx, actor: Actor, number: number): Promise<Reminder> {
  await queryRaw(db, Prisma.sql`SELECT 1 FROM "Reminder" WHERE "communeId" = ${actor.communeId} AND "number" = ${number} FOR UPDATE`);
  const r = await db.reminder.findUnique({ where: { communeId_number: { communeId: actor.communeId, number } } });
  if (!r || r.kind !== 'USER') throw new NotFoundError('reminders.notFound', { n: number });
  return r;
}

function mayChange(actor: Actor, r: Reminder): boolean {
  return r.createdById === actor.memberId || r.targetMemberId === actor.memberId || can(actor.role, 'reminder.forOthers');
}

/** Cancels a reminder (its maker, its target, or a deputy/the mayor). */
export async function cancelReminder(db: Tx, actor: Actor, r: Reminder): Promise<Reminder> {
  if (!mayChange(actor, r)) throw new ForbiddenError('reminder.cancel');
  if (r.status !== 'ACTIVE') throw new UserError('E_STATE', 'reminders.notActive', { n: r.number });
  const updated = await db.reminder.update({ where: { id: r.id }, data: { status: 'CANCELLED', nextAt: null } });
  await audit(db, actor, { action: 'reminder.cancel', entityType: 'reminder', entityId: r.id, before: trace(r), after: trace(updated) });
  return updated;
}

/**
 * "Remind me again in a day": a one-shot reminder that already fired comes back to life; a
 * recurring one gets a one-shot copy (its own rule is untouched). Returns the reminder to schedule.
 */
export async function snoozeReminder(db: Tx, actor: Actor, r: Reminder, now: Date): Promise<Reminder> {
  if (!mayChange(actor, r)) throw new ForbiddenError('reminder.snooze');
  const at = DateTime.fromJSDate(now, { zone: r.timezone }).plus({ days: 1 }).toJSDate();
  const snoozed = r.rrule
    ? await db.reminder.create({
        data: {
          communeId: r.communeId,
          number: await nextNumber(db, r.communeId),
          kind: 'USER',
          createdById: actor.memberId,
          targetMemberId: r.targetMemberId,
          targetRoomId: r.targetRoomId,
          text: r.text,
          firstAt: at,
          nextAt: at,
          timezone: r.timezone,
        },
      })
    : await db.reminder.update({ where: { id: r.id }, data: { status: 'ACTIVE', nextAt: at } });
  await audit(db, actor, { action: 'reminder.snooze', entityType: 'reminder', entityId: snoozed.id, before: trace(r), after: trace(snoozed) });
  return snoozed;
}

/** The moment after `after` at which a recurring reminder fires next (wall-clock in its zone). */
export function nextFiring(r: Pick<Reminder, 'rrule' | 'timezone'>, after: Date): Date | null {
  return r.rrule ? nextOccurrence(r.rrule, r.timezone, after) : null;
}

/** Records a firing: next occurrence strictly after max(`at`, `now`) (missed ones are not replayed), or done. */
export async function advanceReminder(db: Tx, r: Reminder, now: Date): Promise<Reminder> {
  const from = r.nextAt && r.nextAt > now ? r.nextAt : now;
  const next = nextFiring(r, from);
  return db.reminder.update({
    where: { id: r.id },
    data: { nextAt: next, status: next ? 'ACTIVE' : 'DONE', lastFiredAt: now, firedCount: { increment: 1 } },
  });
}

type System = Prisma.ReminderUncheckedCreateInput;

async function upsertSystem(
  db: Tx,
  where: Prisma.ReminderWhereUniqueInput,
  data: Omit<System, 'number'>,
  active: boolean,
  fresh = false,
): Promise<string | undefined> {
  const existing = fresh ? null : await db.reminder.findUnique({ where, select: { id: true } });
  if (!existing && !active) return undefined;
  if (existing) {
    await db.reminder.update({ where: { id: existing.id }, data: { ...data, status: active ? 'ACTIVE' : 'CANCELLED', nextAt: active ? data.nextAt : null } });
    return existing.id;
  }
  const created = await db.reminder.create({ data: { ...data, number: await nextNumber(db, data.communeId), status: 'ACTIVE' } });
  return created.id;
}

/**
 * Keeps a task's reminders in step with it: at the due time and the next morning (09:00 in
 * the zone) for its assignee while it is open. Returns the ids to (re)schedule. `fresh`: the
 * task was created in this transaction, so it has no reminders to look up yet.
 */
export async function syncTaskReminders(
  db: Tx,
  task: { id: string; communeId: string; title: string; status: string; dueAt: Date | null; assigneeId: string | null },
  zone: string,
  now: Date,
  fresh = false,
): Promise<string[]> {
  const open = task.status === 'OPEN' && task.dueAt !== null && task.assigneeId !== null;
  // A new task without both a due date and an assignee has no reminders, nor any to cancel.
  if (fresh && !open) return [];
  const due = task.dueAt ?? now;
  const morning = DateTime.fromJSDate(due, { zone }).plus({ days: 1 }).set({ hour: REMINDER_DEFAULT_HOUR, minute: 0, second: 0, millisecond: 0 }).toJSDate();
  const base = { communeId: task.communeId, taskId: task.id, targetMemberId: task.assigneeId, text: task.title, timezone: zone };
  const ids = await Promise.all([
    upsertSystem(db, { taskId_kind: { taskId: task.id, kind: 'TASK_DUE' } }, { ...base, kind: 'TASK_DUE', firstAt: due, nextAt: due }, open && due > now, fresh),
    upsertSystem(db, { taskId_kind: { taskId: task.id, kind: 'TASK_FOLLOWUP' } }, { ...base, kind: 'TASK_FOLLOWUP', firstAt: morning, nextAt: morning }, open && morning > now, fresh),
  ]);
  return ids.filter((id): id is string => id !== undefined);
}

/**
 * Keeps a meeting's reminders (24 h and 1 h before its start) in step with it; cancelled when
 * the meeting is, or when the time is already past. Returns the ids to (re)schedule.
 */
export async function syncMeetingReminders(
  db: Tx,
  meeting: { id: string; communeId: string; title: string; startsAt: Date; status: string },
  zone: string,
  now: Date,
): Promise<string[]> {
  const ids: string[] = [];
  for (const offsetMinutes of MEETING_REMINDER_OFFSETS) {
    const at = new Date(meeting.startsAt.getTime() - offsetMinutes * 60_000);
    const id = await upsertSystem(
      db,
      { meetingId_offsetMinutes: { meetingId: meeting.id, offsetMinutes } },
      { communeId: meeting.communeId, kind: 'MEETING', meetingId: meeting.id, offsetMinutes, text: meeting.title, timezone: zone, firstAt: at, nextAt: at },
      meeting.status === 'SCHEDULED' && at > now,
    );
    if (id) ids.push(id);
  }
  return ids;
}
