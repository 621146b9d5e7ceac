/**
 * Bulk seeding in plain SQL (`generate_series`, one statement per table): communes with five
 * members each and a console identity per member, projects, tasks and meetings for the
 * dashboard, and reminders due at chosen instants. Ids are readable (`bc12`, `bm12_3`).
 */
import type pg from 'pg';

/** Console user id, direct chat and member id of member `k` (1-5) of commune `c`. */
export function benchMember(c: number, k: number): { userId: string; chatId: string; memberId: string } {
  return { userId: `u${c}_${k}`, chatId: `d${c}_${k}`, memberId: `bm${c}_${k}` };
}

/** Roles of the five members of each commune (all may create tasks and read the dashboard). */
const ROLES = ['MAYOR', 'DEPUTY', 'COUNCILLOR', 'COUNCILLOR', 'AGENT'];

/** Creates `communes` communes, five members each with a console identity, and three projects each. */
export async function seedCommunes(db: pg.Pool, communes: number): Promise<void> {
  await db.query(
    `INSERT INTO "Commune" (id, name, insee, population, timezone, locale)
     SELECT 'bc' || c, 'Commune ' || c, lpad(c::text, 5, '0'), 300 + c, 'Europe/Paris', 'fr'
     FROM generate_series(1, $1::int) c`,
    [communes],
  );
  await db.query(
    `INSERT INTO "Member" (id, "communeId", role, "displayName", "searchName", locale)
     SELECT 'bm' || c || '_' || k, 'bc' || c, ($2::text[])[k]::"Role", 'Membre ' || c || ' ' || k, 'membre ' || c || ' ' || k, 'fr'
     FROM generate_series(1, $1::int) c, generate_series(1, 5) k`,
    [communes, ROLES],
  );
  await db.query(
    `INSERT INTO "ChatIdentity" (id, "memberId", platform, workspace, "userId", "directChatId")
     SELECT 'bi' || c || '_' || k, 'bm' || c || '_' || k, 'CONSOLE', '', 'u' || c || '_' || k, 'd' || c || '_' || k
     FROM generate_series(1, $1::int) c, generate_series(1, 5) k`,
    [communes],
  );
  await db.query(
    `INSERT INTO "Project" (id, "communeId", name, "searchName", archived, "createdById")
     SELECT 'bp' || c || '_' || p, 'bc' || c, 'Projet ' || p, 'projet ' || p, p = 3, 'bm' || c || '_1'
     FROM generate_series(1, $1::int) c, generate_series(1, 3) p`,
    [communes],
  );
}

/**
 * Adds `perCommune` tasks to each commune (30 % open, due from 60 days ago to 60 days ahead;
 * 65 % done, completed over the past year; 5 % cancelled; one in seven unassigned) and
 * `meetingsPerCommune` meetings (three months back to three months ahead), then {@link settle}s.
 */
export async function seedDashboard(db: pg.Pool, communes: number, perCommune: number, meetingsPerCommune: number): Promise<void> {
  // One statement per slice of communes, two at a time: both cores insert.
  const slices: [number, number][] = [];
  const step = Math.max(1, Math.ceil(communes / 8));
  for (let from = 1; from <= communes; from += step) slices.push([from, Math.min(communes, from + step - 1)]);
  const run = async (sql: string, extra: number) => {
    const queue = [...slices];
    await Promise.all(
      [0, 1].map(async () => {
        for (let s = queue.shift(); s; s = queue.shift()) await db.query(sql, [s[0], s[1], extra]);
      }),
    );
  };
  await run(
    `INSERT INTO "Task" (id, "communeId", number, title, status, "dueAt", "assigneeId", "projectId", "createdById", "createdVia", "completedAt", "completedById", "createdAt", "updatedAt")
     SELECT 'bt' || c || '_' || n, 'bc' || c, n, 'Tâche de fond ' || n,
       (CASE WHEN n % 20 < 6 THEN 'OPEN' WHEN n % 20 = 19 THEN 'CANCELLED' ELSE 'DONE' END)::"TaskStatus",
       now() + ((n * 7919) % 120 - 60) * interval '1 day' + (n % 24) * interval '1 hour',
       CASE WHEN n % 7 = 0 THEN NULL ELSE 'bm' || c || '_' || (1 + n % 5) END,
       CASE WHEN n % 4 = 0 THEN 'bp' || c || '_' || (1 + n % 3) END,
       'bm' || c || '_1', 'CONSOLE',
       CASE WHEN n % 20 BETWEEN 6 AND 18 THEN now() - ((n * 31) % 365) * interval '1 day' END,
       CASE WHEN n % 20 BETWEEN 6 AND 18 THEN 'bm' || c || '_' || (1 + n % 5) END,
       now() - interval '1 year', now()
     FROM generate_series($1::int, $2::int) c, generate_series(1, $3::int) n`,
    perCommune,
  );
  await run(
    `INSERT INTO "Meeting" (id, "communeId", number, title, "startsAt", place, status, "createdById", "updatedAt")
     SELECT 'bmt' || c || '_' || n, 'bc' || c, n, 'Réunion ' || n,
       date_trunc('hour', now()) + ((n * 37) % 180 - 90) * interval '1 day',
       'Salle du conseil', (CASE WHEN n % 10 = 0 THEN 'CANCELLED' ELSE 'SCHEDULED' END)::"MeetingStatus",
       'bm' || c || '_1', now()
     FROM generate_series($1::int, $2::int) c, generate_series(1, $3::int) n`,
    meetingsPerCommune,
  );
  await db.query(`UPDATE "Commune" SET "taskSeq" = $1, "meetingSeq" = $2`, [perCommune, meetingsPerCommune]);
  await settle(db);
}

/**
 * Leaves the freshly seeded database as a long-lived one would be, before anything is measured:
 * vacuumed and analysed (autovacuum may be off, or not have come by yet), and its dirty pages
 * written by a checkpoint. Otherwise the checkpoint that the seed's gigabyte of WAL starts
 * goes on writing for the next half minute, through the command runs (PostgreSQL logged COMMITs
 * of 50-180 ms while it did). CHECKPOINT needs a superuser or the pg_checkpoint role; without
 * either it is skipped.
 */
async function settle(db: pg.Pool): Promise<void> {
  await db.query('VACUUM (ANALYZE)');
  await db.query('CHECKPOINT').catch(() => undefined);
}

/**
 * Inserts `count` one-shot reminders (`text` = `br-<tag>-<i>`), each for a member spread over
 * the communes, due at `at0 + i * spacingMs`; returns nothing (ids are `br<tag>_<i>`).
 */
export async function seedReminders(db: pg.Pool, opts: { communes: number; count: number; tag: number; at0: number; spacingMs: number }): Promise<void> {
  const { communes, count, tag, at0, spacingMs } = opts;
  await db.query(
    `INSERT INTO "Reminder" (id, "communeId", number, kind, "createdById", "targetMemberId", text, "firstAt", timezone, "nextAt", status, "updatedAt")
     SELECT 'br' || $3::int || '_' || i, 'bc' || c, 1000000 + $3::int * 1000000 + i, 'USER', m, m, 'br-' || $3::int || '-' || i,
       to_timestamp(($4::float8 + i * $5::float8) / 1000), 'Europe/Paris', to_timestamp(($4::float8 + i * $5::float8) / 1000), 'ACTIVE', now()
     FROM (SELECT i, 1 + i % $1::int AS c, 'bm' || (1 + i % $1::int) || '_' || (1 + (i / $1::int) % 5) AS m FROM generate_series(0, $2::int - 1) i) s`,
    [communes, count, tag, at0, spacingMs],
  );
}

/**
 * Forgets earlier reminder runs so each run starts from the same table size. The rows are locked
 * in id order first, as the app's reminder batches lock theirs (src/jobs/reminders.ts): a batch
 * still running after its run's last delivery (a doubled job that finds its reminder fired) would
 * otherwise deadlock with the delete, and PostgreSQL may cancel either.
 */
export async function clearReminders(db: pg.Pool): Promise<void> {
  await db.query(`DELETE FROM "Reminder" WHERE id IN (SELECT id FROM "Reminder" WHERE id LIKE 'br%' ORDER BY id FOR UPDATE)`);
}
