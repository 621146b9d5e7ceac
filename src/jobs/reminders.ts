/**
 * Reminders in time (SPEC section 4): Postgres rows are the truth; a BullMQ delayed job with
 * the deterministic id `reminder-<id>-<epoch ms>` carries each next firing. Firing re-reads the
 * row under a lock and does nothing unless it is still active and still due at that instant,
 * so a stale or doubled job is harmless. A reconciler re-creates missing jobs from Postgres and
 * sums up reminders that fell due too long ago (the bot was down) instead of firing them one by one.
 */
import type { Job } from 'bullmq';
import type { Outgoing, Services } from '../core/context.js';
import { memberRecipient, memberRecipients, roomAddress, toMember } from '../core/recipients.js';
import type { PrismaClient, Tx } from '../db/client.js';
import { advanceReminder, nextFiring } from '../domain/reminders.js';
import { Prisma, type Reminder } from '../generated/prisma/client.js';
import { toLocale, translator, type Locale } from '../i18n/index.js';
import { renderReminder, renderMissedSummary } from '../commands/reminders.js';
import { batcher } from '../core/batch.js';
import { enqueueOutbox, writeOutbox } from './outbox.js';
import type { Queues, ReminderJob } from './queues.js';
import type { Dispatch } from './delivery.js';
import { executeRaw, queryRaw, transaction } from '../db/sql.js';

/** Deterministic job id of one firing. */
export function reminderJobId(reminderId: string, at: Date | number): string {
  return `reminder-${reminderId}-${typeof at === 'number' ? at : at.getTime()}`;
}

/**
 * Adds delayed jobs for the active reminders among `ids` (already scheduled ones are no-ops).
 * `clock` is the app's: each job waits `nextAt - clock()`, read just before its jobs are added,
 * so a reminder fires when the app's time reaches it however long the query before took.
 */
export async function scheduleReminders(prisma: PrismaClient | Tx, queues: Queues, ids: Iterable<string>, clock: () => Date): Promise<number> {
  const list = [...ids];
  if (list.length === 0) return 0;
  const rows = await prisma.reminder.findMany({ where: { id: { in: list }, status: 'ACTIVE', nextAt: { not: null } }, select: { id: true, nextAt: true } });
  await addJobs(queues, rows as { id: string; nextAt: Date }[], clock);
  return rows.length;
}

/**
 * Adds the delayed jobs of `rows`, a thousand at a time. Each job's delay is measured from the
 * clock read just before its `addBulk`, since BullMQ counts it from then: a delay measured from
 * an earlier instant would have each job fire that much late (a reconcile of 100,000 reminders,
 * page after page, takes seconds; docs/performance.md, eleventh round).
 */
async function addJobs(queues: Queues, rows: { id: string; nextAt: Date }[], clock: () => Date): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    const now = clock().getTime();
    await queues.reminders.addBulk(
      rows.slice(i, i + 1000).map((r) => ({
        name: 'fire',
        data: { reminderId: r.id, at: r.nextAt.getTime() },
        opts: { jobId: reminderJobId(r.id, r.nextAt), delay: Math.max(0, r.nextAt.getTime() - now) },
      })),
    );
  }
}

/** Result of {@link reconcileReminders}. */
export interface Reconciled {
  scheduled: number;
  summarised: number;
}

/**
 * Re-creates the jobs of every active reminder due within `horizonMs` (after a Redis flush or
 * restart nothing is lost; existing ids are kept), and sums up those overdue by more than
 * `lateMs`: one message per recipient, each reminder moved to its next occurrence.
 */
export async function reconcileReminders(services: Services, queues: Queues, horizonMs: number, lateMs: number): Promise<Reconciled> {
  const { prisma } = services;
  const now = services.clock();
  const summarised = await summariseMissed(services, queues, new Date(now.getTime() - lateMs));
  let scheduled = 0;
  let cursor: string | undefined;
  for (;;) {
    const rows = await prisma.reminder.findMany({
      where: { status: 'ACTIVE', nextAt: { lte: new Date(now.getTime() + horizonMs) } },
      select: { id: true, nextAt: true },
      orderBy: { id: 'asc' },
      take: 5000,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    if (rows.length === 0) break;
    await addJobs(queues, rows as { id: string; nextAt: Date }[], services.clock);
    scheduled += rows.length;
    cursor = rows.at(-1)!.id;
  }
  return { scheduled, summarised };
}

/** Sums up reminders overdue since before `before`; returns how many. */
async function summariseMissed(services: Services, queues: Queues, before: Date): Promise<number> {
  const { prisma, config } = services;
  const now = services.clock();
  const missed = await prisma.reminder.findMany({ where: { status: 'ACTIVE', nextAt: { lt: before } }, orderBy: { nextAt: 'asc' }, take: 10_000 });
  if (missed.length === 0) return 0;
  const written = await transaction(prisma, async (db) => {
    const byTarget = new Map<string, Reminder[]>();
    for (const r of missed) {
      await advanceReminder(db, r, now);
      // System reminders (tasks, meetings) that are that late are simply dropped.
      if (r.kind !== 'USER') continue;
      const key = r.targetMemberId ? `m:${r.targetMemberId}` : `r:${r.targetRoomId}`;
      byTarget.set(key, [...(byTarget.get(key) ?? []), r]);
    }
    const outgoing: Outgoing[] = [];
    for (const list of byTarget.values()) {
      const target = await recipientOf(db, list[0]!, config.DEFAULT_LOCALE);
      if (!target) continue;
      outgoing.push({ ...target.address, message: renderMissedSummary(translator(target.locale), list, target.zone, target.locale, now) });
    }
    return writeOutbox(db, outgoing);
  });
  await enqueueOutbox(queues, written.map((r) => r.id));
  services.logger.warn({ count: missed.length }, 'reminders missed while the bot was down were summed up');
  return missed.length;
}

interface Target {
  address: Omit<Outgoing, 'message'>;
  locale: Locale;
  zone: string;
}

/** Where a reminder goes: its member's private chat, or its bound room (in the commune's language). */
async function recipientOf(db: Tx, r: Reminder, fallback: Locale): Promise<Target | undefined> {
  return (await recipientsOf(db, [r], fallback))[0];
}

/** {@link recipientOf} for reminders firing together: one lookup for all their members. */
async function recipientsOf(db: Tx, list: Reminder[], fallback: Locale): Promise<(Target | undefined)[]> {
  const members = await memberRecipients(
    db,
    list.flatMap((r) => (r.targetMemberId ? [r.targetMemberId] : [])),
    { fallbackLocale: fallback },
  );
  return Promise.all(
    list.map(async (r): Promise<Target | undefined> => {
      if (r.targetMemberId) {
        const m = members.get(r.targetMemberId);
        return m && { address: toMember(m, { text: '' }), locale: m.locale, zone: m.zone };
      }
      if (r.targetRoomId) {
        const room = await db.roomBinding.findUnique({ where: { id: r.targetRoomId }, include: { commune: true } });
        if (!room || room.unreachableAt) return undefined;
        return { address: { to: roomAddress(room), communeId: room.communeId }, locale: toLocale(room.commune.locale) ?? fallback, zone: room.commune.timezone };
      }
      return undefined;
    }),
  );
}

/** The longest a firing waits for others to share its transaction (ms). */
const BATCH_LINGER_MS = 2;

/**
 * Builds the `reminders` processor: fire, advance, deliver, schedule the next occurrence.
 * Jobs that run at the same time fire together, up to `batchSize` in one transaction and
 * `parallel` transactions at once: when 100,000 reminders fall due in one minute, that is what
 * keeps up (docs/performance.md). The worker's concurrency should be `batchSize × parallel`.
 */
export function reminderProcessor(services: Services, queues: Queues, dispatch: Dispatch, batchSize = 8, parallel = 1) {
  const fire = batcher({ max: batchSize, lingerMs: BATCH_LINGER_MS, parallel }, async (jobs: ReminderJob[]): Promise<(string | Error)[]> => {
    try {
      return await fireReminders(services, queues, dispatch, jobs);
    } catch (err) {
      if (jobs.length === 1) return [err instanceof Error ? err : new Error(String(err))];
      // One bad reminder must not hold up the others: each fires alone, and only its job fails.
      const out: (string | Error)[] = [];
      for (const job of jobs) out.push(await fireReminders(services, queues, dispatch, [job]).then(([r]) => r!, (e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
      return out;
    }
  });
  return async (job: Job<ReminderJob>): Promise<string> => {
    const out = await fire(job.data);
    if (out instanceof Error) throw out;
    return out;
  };
}

const TASK_VIEW = { assignee: { select: { id: true, displayName: true } }, project: { select: { id: true, name: true } } } as const;

/**
 * Fires the reminders of `jobs` that are still active and due at their job's instant, under a
 * row lock (so a stale or doubled job does nothing), in one transaction; returns each job's result.
 */
async function fireReminders(services: Services, queues: Queues, dispatch: Dispatch, jobs: ReminderJob[]): Promise<string[]> {
  const { prisma, config } = services;
  const ids = [...new Set(jobs.map((j) => j.reminderId))].sort();
  const result = await transaction(prisma, async (db) => {
    // Locked in id order, so that two batches (or two workers) never wait on each other in a cycle.
    await queryRaw(db, Prisma.sql`SELECT 1 FROM "Reminder" WHERE "id" = ANY(${ids}::text[]) ORDER BY "id" FOR UPDATE`);
    const byId = new Map((await db.reminder.findMany({ where: { id: { in: ids } } })).map((r) => [r.id, r]));
    const firing = new Map<string, Reminder>();
    const fires = jobs.map((job) => {
      const r = byId.get(job.reminderId);
      if (!r || r.status !== 'ACTIVE' || r.nextAt?.getTime() !== job.at || firing.has(r.id)) return false;
      firing.set(r.id, r);
      return true;
    });
    if (firing.size === 0) return undefined;
    const list = [...firing.values()];
    const now = services.clock();
    const taskIds = list.flatMap((r) => (r.taskId ? [r.taskId] : []));
    const tasks = new Map(taskIds.length ? (await db.task.findMany({ where: { id: { in: taskIds } }, include: TASK_VIEW })).map((t) => [t.id, t]) : []);
    // Meeting reminders go to each attendee instead (meetingMessages).
    const direct = list.filter((r) => r.kind !== 'MEETING');
    const targets = await recipientsOf(db, direct, config.DEFAULT_LOCALE);
    const targetOf = new Map(direct.map((r, i) => [r.id, targets[i]]));
    const sent = new Map<string, number>();
    const outgoing: Outgoing[] = [];
    for (const r of list) {
      const before = outgoing.length;
      if (r.kind === 'MEETING') {
        outgoing.push(...(await meetingMessages(db, r, now, config.DEFAULT_LOCALE)));
      } else {
        const target = targetOf.get(r.id);
        const task = r.taskId ? (tasks.get(r.taskId) ?? null) : null;
        // A task reminder only stands while the task is open and still the target's.
        const stands = !r.taskId || (task?.status === 'OPEN' && task.assigneeId === r.targetMemberId);
        if (target && stands) {
          const lateMs = Math.max(0, now.getTime() - r.nextAt!.getTime());
          outgoing.push({ ...target.address, message: renderReminder(translator(target.locale), r, task, lateMs, target.zone, target.locale, now) });
        }
      }
      sent.set(r.id, outgoing.length - before);
    }
    const next = await advanceAll(db, list, now);
    return { written: await writeOutbox(db, outgoing), next, sent, fires };
  }, { maxWait: 10_000, timeout: 15_000 });
  if (!result) return jobs.map(() => 'stale');
  await dispatch(result.written);
  if (result.next.length > 0) await scheduleReminders(prisma, queues, result.next, services.clock);
  return jobs.map((job, i) => (result.fires[i] ? `sent ${result.sent.get(job.reminderId) ?? 0}` : 'stale'));
}

/**
 * Records the firing of each reminder in one statement, by the rule of `advanceReminder`
 * (src/domain/reminders.ts): next occurrence strictly after max(its `nextAt`, now) — missed
 * ones are not replayed — or DONE. Returns the ids of those that remain active.
 */
async function advanceAll(db: Tx, list: Reminder[], now: Date): Promise<string[]> {
  const plan = list.map((r) => ({ id: r.id, next: nextFiring(r, r.nextAt && r.nextAt > now ? r.nextAt : now) }));
  // Timestamps are stored as UTC wall time (timestamp without zone), as Prisma does.
  await executeRaw(db, Prisma.sql`
    UPDATE "Reminder" AS r
    SET "nextAt" = v."next" AT TIME ZONE 'UTC',
        "status" = (CASE WHEN v."next" IS NULL THEN 'DONE' ELSE 'ACTIVE' END)::"ReminderStatus",
        "lastFiredAt" = ${now}, "firedCount" = r."firedCount" + 1, "updatedAt" = ${now}
    FROM unnest(${plan.map((p) => p.id)}::text[], ${plan.map((p) => p.next?.toISOString() ?? null)}::timestamptz[]) AS v("id", "next")
    WHERE r."id" = v."id"`);
  return plan.filter((p) => p.next !== null).map((p) => p.id);
}

/** Meeting reminders go to each attendee who has not answered No. */
async function meetingMessages(db: Tx, r: Reminder, now: Date, fallback: Locale): Promise<Outgoing[]> {
  if (!r.meetingId) return [];
  const meeting = await db.meeting.findUnique({ where: { id: r.meetingId }, include: { attendees: true } });
  if (!meeting || meeting.status !== 'SCHEDULED') return [];
  const { meetingReminderMessage } = await import('../commands/meetings.js');
  const out: Outgoing[] = [];
  for (const a of meeting.attendees) {
    if (a.rsvp === 'NO') continue;
    const m = await memberRecipient(db, a.memberId, { fallbackLocale: fallback });
    if (!m) continue;
    out.push(toMember(m, meetingReminderMessage(translator(m.locale), meeting, r.offsetMinutes ?? 60, m.zone, m.locale, now)));
  }
  return out;
}
