/**
 * Task use cases: create, list, complete, reopen, assign, postpone. Each checks permissions,
 * writes its audit row in the caller's transaction, and knows nothing of chat.
 */
import { randomUUID } from 'node:crypto';
import { ForbiddenError, NotFoundError, UserError } from '../core/errors.js';
import type { Tx } from '../db/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { batcher } from '../core/batch.js';
import { audit } from './audit.js';
import { lockCommunes } from './communes.js';
import { assertCan, canUpdateTask, type Actor } from './permissions.js';
import { queryRaw } from '../db/sql.js';

/** A task with the names a reply shows. */
export type TaskView = Prisma.TaskGetPayload<{
  include: { assignee: { select: { id: true; displayName: true } }; project: { select: { id: true; name: true } } };
}>;

const VIEW = { assignee: { select: { id: true, displayName: true } }, project: { select: { id: true, name: true } } } as const;

/** Fields a citizen reading the audit trail sees of a task. */
function trace(t: { number: number; title: string; status: string; dueAt: Date | null; assigneeId: string | null; projectId: string | null }) {
  return { number: t.number, title: t.title, status: t.status, dueAt: t.dueAt, assigneeId: t.assigneeId, projectId: t.projectId };
}

/** Input of {@link createTask}. */
export interface NewTask {
  title: string;
  dueAt?: Date | null;
  assigneeId?: string | null;
  projectId?: string | null;
}

/** A task to insert, checked and with its id, waiting for its transaction's next statement. */
interface Creation {
  id: string;
  actor: Actor;
  title: string;
  dueAt: Date | null;
  assigneeId: string | null;
  projectId: string | null;
  at: Date;
}

/** Most tasks one statement creates (a batch of inbound events holds at most sixteen). */
const CREATIONS_PER_STATEMENT = 64;

/** Each transaction's pending creations ({@link createTask}); gone with the transaction client. */
const creators = new WeakMap<Tx, (c: Creation) => Promise<TaskView | Error>>();

/**
 * Creates a task with the commune's next number. Creations asked for on the same transaction in
 * the same turn of the event loop (the events of a batch, docs/architecture.md), or while the
 * statement before them runs, are written by one statement, numbered in the order they were asked
 * for; the promise of each gets its own task, or the statement's error.
 */
export async function createTask(db: Tx, actor: Actor, input: NewTask): Promise<TaskView> {
  assertCan(actor, 'task.create');
  const title = input.title.trim();
  if (!title) throw new UserError('E_INVALID', 'tasks.noTitle');
  if (title.length > 300) throw new UserError('E_INVALID', 'tasks.titleTooLong', { max: 300 });
  if (input.assigneeId && input.assigneeId !== actor.memberId) assertCan(actor, 'task.assign');
  if (input.projectId) assertCan(actor, 'project.read');
  let create = creators.get(db);
  if (!create) {
    const tx = db;
    create = batcher({ max: CREATIONS_PER_STATEMENT, lingerMs: 0 }, (items: Creation[]) => insertTasks(tx, items));
    creators.set(db, create);
  }
  // A UUID, as the schema's `@default(uuid())` gives a task created through the client.
  const created = await create({ id: randomUUID(), actor, title, dueAt: input.dueAt ?? null, assigneeId: input.assigneeId ?? null, projectId: input.projectId ?? null, at: new Date() });
  if (created instanceof Error) throw created;
  return created;
}

/**
 * Writes `items` in one statement: each commune's counter moves by its number of new tasks (the
 * rows locked first, in id order, as a batch of inbound events locks its senders' communes), then
 * the tasks, their audit rows (`after` is trace(task), the number added in SQL) and the names a
 * reply shows. Through the client this was one to six statements per task (docs/performance.md).
 * An item whose commune does not exist gets an error of its own.
 */
async function insertTasks(db: Tx, items: Creation[]): Promise<(TaskView | Error)[]> {
  const col = <T>(f: (c: Creation) => T) => items.map(f);
  const fields = (c: Creation) => ({ title: c.title, status: 'OPEN', dueAt: c.dueAt, assigneeId: c.assigneeId, projectId: c.projectId });
  const rows = await queryRaw<(Omit<TaskView, 'assignee' | 'project'> & { assigneeName: string | null; projectName: string | null })[]>(db, Prisma.sql`
    WITH "v" AS (
      SELECT * FROM unnest(
        ${col((c) => c.id)}::text[], ${col((c) => c.actor.communeId)}::text[], ${col((c) => c.title)}::text[],
        ${col((c) => c.dueAt?.toISOString() ?? null)}::text[], ${col((c) => c.assigneeId)}::text[], ${col((c) => c.projectId)}::text[],
        ${col((c) => c.actor.memberId)}::text[], ${col((c) => c.actor.platform)}::text[], ${col((c) => JSON.stringify(fields(c)))}::text[],
        ${col((c) => c.at.toISOString())}::text[]
      ) WITH ORDINALITY AS v("id", "communeId", "title", "dueAt", "assigneeId", "projectId", "createdById", "platform", "fields", "at", "ord")
    ), "locked" AS (${lockCommunes(Prisma.sql`SELECT "communeId" FROM "v"`)}), "seq" AS (
      UPDATE "Commune" c SET "taskSeq" = c."taskSeq" + n."count"
      FROM (SELECT "communeId", count(*)::int AS "count" FROM "v" GROUP BY 1) n JOIN "locked" l ON l."id" = n."communeId"
      WHERE c."id" = n."communeId"
      RETURNING c."id", c."taskSeq" - n."count" AS "base"
    ), "t" AS (
      INSERT INTO "Task" ("id", "communeId", "number", "title", "status", "dueAt", "assigneeId", "projectId", "createdById", "createdVia", "createdAt", "updatedAt")
      SELECT v."id", v."communeId", (s."base" + row_number() OVER (PARTITION BY v."communeId" ORDER BY v."ord"))::int, v."title", 'OPEN'::"TaskStatus",
             v."dueAt"::timestamp, v."assigneeId", v."projectId", v."createdById", v."platform"::"Platform", v."at"::timestamp, v."at"::timestamp
      FROM "v" JOIN "seq" s ON s."id" = v."communeId"
      ORDER BY v."ord"
      RETURNING *
    ), "a" AS (
      INSERT INTO "AuditEvent" ("communeId", "actorId", "platform", "action", "entityType", "entityId", "after", "createdAt")
      SELECT t."communeId", t."createdById", t."createdVia", 'task.create', 'task', t."id",
             jsonb_build_object('number', t."number") || v."fields"::jsonb, t."createdAt"
      FROM "t" JOIN "v" ON v."id" = t."id"
      ORDER BY v."ord"
    )
    SELECT "t".*, m."displayName" AS "assigneeName", p."name" AS "projectName"
    FROM "t" LEFT JOIN "Member" m ON m."id" = "t"."assigneeId" LEFT JOIN "Project" p ON p."id" = "t"."projectId"`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return items.map((c) => {
    const row = byId.get(c.id);
    if (!row) return new Error(`commune ${c.actor.communeId} not found`);
    const { assigneeName, projectName, ...created } = row;
    return {
      ...created,
      assignee: created.assigneeId ? { id: created.assigneeId, displayName: assigneeName ?? '' } : null,
      project: created.projectId ? { id: created.projectId, name: projectName ?? '' } : null,
    };
  });
}

/** The task numbered `number` in the actor's commune (with a row lock for a change). */
export async function taskByNumber(db: Tx, actor: Actor, number: number, forUpdate = false): Promise<TaskView> {
  assertCan(actor, 'task.read');
  if (forUpdate) {
    await queryRaw(db, Prisma.sql`SELECT 1 FROM "Task" WHERE "communeId" = ${actor.communeId} AND "number" = ${number} FOR UPDATE`);
  }
  const task = await db.task.findUnique({ where: { communeId_number: { communeId: actor.communeId, number } }, include: VIEW });
  if (!task) throw new NotFoundError('tasks.notFound', { n: number });
  return task;
}

/** The task with id `id` in the actor's commune (buttons carry ids). */
export async function taskById(db: Tx, actor: Actor, id: string): Promise<TaskView> {
  const found = await db.task.findFirst({ where: { id, communeId: actor.communeId }, select: { number: true } });
  if (!found) throw new NotFoundError('tasks.gone');
  return taskByNumber(db, actor, found.number, true);
}

async function change(
  db: Tx,
  actor: Actor,
  task: TaskView,
  action: string,
  data: Prisma.TaskUncheckedUpdateInput,
): Promise<TaskView> {
  if (!canUpdateTask(actor, task)) throw new ForbiddenError(action);
  const updated = await db.task.update({ where: { id: task.id }, data, include: VIEW });
  await audit(db, actor, { action, entityType: 'task', entityId: task.id, before: trace(task), after: trace(updated) });
  return updated;
}

/** Marks a task done; an already-done task is an error that says by whom. */
export async function completeTask(db: Tx, actor: Actor, task: TaskView, now: Date): Promise<TaskView> {
  if (task.status === 'DONE') {
    const by = task.completedById
      ? (await db.member.findUnique({ where: { id: task.completedById }, select: { displayName: true } }))?.displayName
      : undefined;
    throw new UserError('E_STATE', 'tasks.alreadyDone', { n: task.number, by: by ?? '?' });
  }
  return change(db, actor, task, 'task.complete', { status: 'DONE', completedAt: now, completedById: actor.memberId });
}

/** Reopens a done task. */
export async function reopenTask(db: Tx, actor: Actor, task: TaskView): Promise<TaskView> {
  if (task.status === 'OPEN') throw new UserError('E_STATE', 'tasks.alreadyOpen', { n: task.number });
  return change(db, actor, task, 'task.reopen', { status: 'OPEN', completedAt: null, completedById: null });
}

/** Gives a task to a member of the same commune. */
export async function assignTask(db: Tx, actor: Actor, task: TaskView, assigneeId: string): Promise<TaskView> {
  // Taking a task one may already change needs no right to assign others.
  if (!(assigneeId === actor.memberId && canUpdateTask(actor, task))) assertCan(actor, 'task.assign');
  const assignee = await db.member.findFirst({ where: { id: assigneeId, communeId: actor.communeId, erasedAt: null } });
  if (!assignee) throw new NotFoundError('directory.notFound', { who: assigneeId });
  return change(db, actor, task, 'task.assign', { assigneeId });
}

/** Moves a task's due date. */
export async function postponeTask(db: Tx, actor: Actor, task: TaskView, dueAt: Date): Promise<TaskView> {
  if (task.status !== 'OPEN') throw new UserError('E_STATE', 'tasks.notOpen', { n: task.number });
  return change(db, actor, task, 'task.postpone', { dueAt });
}

/** Which tasks to list. */
export type TaskFilter = { kind: 'all' } | { kind: 'mine' } | { kind: 'overdue' } | { kind: 'member'; memberId: string };

/** Open tasks of the actor's commune by filter, soonest due first; returns a page and the total. */
export async function listTasks(
  db: Tx,
  actor: Actor,
  filter: TaskFilter,
  now: Date,
  limit = 20,
): Promise<{ tasks: TaskView[]; total: number }> {
  assertCan(actor, 'task.read');
  const where: Prisma.TaskWhereInput = { communeId: actor.communeId, status: 'OPEN' };
  if (filter.kind === 'mine') where.assigneeId = actor.memberId;
  if (filter.kind === 'member') where.assigneeId = filter.memberId;
  if (filter.kind === 'overdue') where.dueAt = { lt: now };
  const [tasks, total] = await Promise.all([
    db.task.findMany({ where, include: VIEW, orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { number: 'asc' }], take: limit }),
    db.task.count({ where }),
  ]);
  return { tasks, total };
}

/** Open tasks assigned to the actor and due before `until` (overdue included), for the agenda. */
export async function tasksDueFor(db: Tx, actor: Actor, until: Date): Promise<TaskView[]> {
  assertCan(actor, 'agenda.read');
  return db.task.findMany({
    where: { communeId: actor.communeId, status: 'OPEN', assigneeId: actor.memberId, dueAt: { lt: until } },
    include: VIEW,
    orderBy: { dueAt: 'asc' },
    take: 50,
  });
}
