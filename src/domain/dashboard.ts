/**
 * The commune's dashboard (`tableau`): task counters in one aggregate query over the
 * (communeId, status, dueAt) index, the most overdue tasks, and the next meetings.
 */
import type { Tx } from '../db/client.js';
import { assertCan, type Actor } from './permissions.js';

/** What `tableau` shows. */
export interface Dashboard {
  open: number;
  overdue: number;
  dueThisWeek: number;
  unassigned: number;
  doneLast7Days: number;
  overdueTasks: { number: number; title: string; dueAt: Date; assignee: string | null }[];
  nextMeetings: { number: number; title: string; startsAt: Date; place: string | null }[];
  activeProjects: number;
}

const DAY = 24 * 3600 * 1000;

/** Computes the dashboard of the actor's commune at `now`. */
export async function dashboard(db: Tx, actor: Actor, now: Date): Promise<Dashboard> {
  assertCan(actor, 'dashboard.read');
  const weekAhead = new Date(now.getTime() + 7 * DAY);
  const weekAgo = new Date(now.getTime() - 7 * DAY);
  const [counts] = await db.$queryRaw<
    { open: bigint; overdue: bigint; due_week: bigint; unassigned: bigint; done_week: bigint }[]
  >`
    SELECT
      count(*) FILTER (WHERE "status" = 'OPEN') AS open,
      count(*) FILTER (WHERE "status" = 'OPEN' AND "dueAt" < ${now}) AS overdue,
      count(*) FILTER (WHERE "status" = 'OPEN' AND "dueAt" >= ${now} AND "dueAt" < ${weekAhead}) AS due_week,
      count(*) FILTER (WHERE "status" = 'OPEN' AND "assigneeId" IS NULL) AS unassigned,
      count(*) FILTER (WHERE "status" = 'DONE' AND "completedAt" >= ${weekAgo}) AS done_week
    FROM "Task"
    WHERE "communeId" = ${actor.communeId} AND ("status" = 'OPEN' OR "completedAt" >= ${weekAgo})`;
  const [overdueTasks, nextMeetings, activeProjects] = await Promise.all([
    db.task.findMany({
      where: { communeId: actor.communeId, status: 'OPEN', dueAt: { lt: now } },
      orderBy: { dueAt: 'asc' },
      take: 5,
      select: { number: true, title: true, dueAt: true, assignee: { select: { displayName: true } } },
    }),
    db.meeting.findMany({
      where: { communeId: actor.communeId, status: 'SCHEDULED', startsAt: { gte: now } },
      orderBy: { startsAt: 'asc' },
      take: 3,
      select: { number: true, title: true, startsAt: true, place: true },
    }),
    db.project.count({ where: { communeId: actor.communeId, archived: false } }),
  ]);
  return {
    open: Number(counts?.open ?? 0),
    overdue: Number(counts?.overdue ?? 0),
    dueThisWeek: Number(counts?.due_week ?? 0),
    unassigned: Number(counts?.unassigned ?? 0),
    doneLast7Days: Number(counts?.done_week ?? 0),
    overdueTasks: overdueTasks.map((t) => ({ number: t.number, title: t.title, dueAt: t.dueAt!, assignee: t.assignee?.displayName ?? null })),
    nextMeetings,
    activeProjects,
  };
}
