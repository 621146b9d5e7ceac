/**
 * The commune's dashboard (`tableau`): task counters in one aggregate query over the
 * (communeId, status, dueAt) index, the most overdue tasks, and the next meetings.
 */
import type { Tx } from '../db/client.js';
import { assertCan, type Actor } from './permissions.js';
import { queryRaw } from '../db/sql.js';
import { Prisma } from '../generated/prisma/client.js';

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
  // Three statements: the counters (projects included), the most overdue tasks with their
  // assignee's name (joined, not a second query), the next meetings (docs/performance.md).
  const [counts] = await queryRaw<
    { open: bigint; overdue: bigint; due_week: bigint; unassigned: bigint; done_week: bigint; projects: bigint }[]
  >(db, Prisma.sql`
    SELECT
      count(*) FILTER (WHERE "status" = 'OPEN') AS open,
      count(*) FILTER (WHERE "status" = 'OPEN' AND "dueAt" < ${now}) AS overdue,
      count(*) FILTER (WHERE "status" = 'OPEN' AND "dueAt" >= ${now} AND "dueAt" < ${weekAhead}) AS due_week,
      count(*) FILTER (WHERE "status" = 'OPEN' AND "assigneeId" IS NULL) AS unassigned,
      count(*) FILTER (WHERE "status" = 'DONE' AND "completedAt" >= ${weekAgo}) AS done_week,
      (SELECT count(*) FROM "Project" WHERE "communeId" = ${actor.communeId} AND NOT "archived") AS projects
    FROM "Task"
    WHERE "communeId" = ${actor.communeId} AND ("status" = 'OPEN' OR "completedAt" >= ${weekAgo})`);
  const overdueTasks = await queryRaw<{ number: number; title: string; dueAt: Date; assignee: string | null }[]>(db, Prisma.sql`
    SELECT t."number", t."title", t."dueAt", m."displayName" AS "assignee"
    FROM "Task" t LEFT JOIN "Member" m ON m."id" = t."assigneeId"
    WHERE t."communeId" = ${actor.communeId} AND t."status" = 'OPEN' AND t."dueAt" < ${now}
    ORDER BY t."dueAt" ASC, t."number" ASC
    LIMIT 5`);
  const nextMeetings = await queryRaw<Dashboard['nextMeetings']>(db, Prisma.sql`
    SELECT "number", "title", "startsAt", "place" FROM "Meeting"
    WHERE "communeId" = ${actor.communeId} AND "status" = 'SCHEDULED' AND "startsAt" >= ${now}
    ORDER BY "startsAt" ASC, "number" ASC
    LIMIT 3`);
  return {
    open: Number(counts?.open ?? 0),
    overdue: Number(counts?.overdue ?? 0),
    dueThisWeek: Number(counts?.due_week ?? 0),
    unassigned: Number(counts?.unassigned ?? 0),
    doneLast7Days: Number(counts?.done_week ?? 0),
    overdueTasks,
    nextMeetings,
    activeProjects: Number(counts?.projects ?? 0),
  };
}
