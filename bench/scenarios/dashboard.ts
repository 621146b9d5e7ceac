/**
 * Dashboard (SPEC section 6, row 3): the `tableau` query path — `dashboard()` inside a
 * transaction, as the command runs it — for one commune at a time among all the seeded ones,
 * beside the same three queries sent raw over `pg`.
 */
import type pg from 'pg';
import type { PrismaClient } from '../../src/db/client.js';
import { transaction } from '../../src/db/sql.js';
import { dashboard } from '../../src/domain/dashboard.js';
import { benchMember } from '../lib/seed.js';
import { percentile } from '../lib/stats.js';

/** p50 and p99 (ms) of `queries` dashboards of random communes through Pilote's code. */
export async function dashboardLatency(prisma: PrismaClient, communes: number, queries: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < queries; i++) {
    const c = 1 + Math.floor(Math.random() * communes);
    const actor = { memberId: benchMember(c, 1).memberId, communeId: `bc${c}`, role: 'MAYOR' as const, platform: 'CONSOLE' as const };
    const t0 = performance.now();
    await transaction(prisma, (db) => dashboard(db, actor, new Date()));
    times.push(performance.now() - t0);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

const RAW_COUNTS = `
  SELECT count(*) FILTER (WHERE status = 'OPEN') AS open,
         count(*) FILTER (WHERE status = 'OPEN' AND "dueAt" < $2) AS overdue,
         count(*) FILTER (WHERE status = 'OPEN' AND "dueAt" >= $2 AND "dueAt" < $3) AS due_week,
         count(*) FILTER (WHERE status = 'OPEN' AND "assigneeId" IS NULL) AS unassigned,
         count(*) FILTER (WHERE status = 'DONE' AND "completedAt" >= $4) AS done_week
  FROM "Task" WHERE "communeId" = $1 AND (status = 'OPEN' OR "completedAt" >= $4)`;
const RAW_OVERDUE = `
  SELECT t.number, t.title, t."dueAt", m."displayName" FROM "Task" t LEFT JOIN "Member" m ON m.id = t."assigneeId"
  WHERE t."communeId" = $1 AND t.status = 'OPEN' AND t."dueAt" < $2 ORDER BY t."dueAt" LIMIT 5`;
const RAW_MEETINGS = `
  SELECT number, title, "startsAt", place FROM "Meeting"
  WHERE "communeId" = $1 AND status = 'SCHEDULED' AND "startsAt" >= $2 ORDER BY "startsAt" LIMIT 3`;

/** p50 and p99 (ms) of the dashboard's three queries sent raw over one pooled `pg` connection. */
export async function rawDashboardLatency(db: pg.Pool, communes: number, queries: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  const client = await db.connect();
  try {
    for (let i = 0; i < queries; i++) {
      const id = `bc${1 + Math.floor(Math.random() * communes)}`;
      const now = new Date();
      const t0 = performance.now();
      await client.query(RAW_COUNTS, [id, now, new Date(now.getTime() + 7 * 86_400_000), new Date(now.getTime() - 7 * 86_400_000)]);
      await client.query(RAW_OVERDUE, [id, now]);
      await client.query(RAW_MEETINGS, [id, now]);
      times.push(performance.now() - t0);
    }
  } finally {
    client.release();
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}
