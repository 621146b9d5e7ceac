/**
 * Task use cases: create, list, complete, reopen, assign, postpone. Each checks permissions,
 * writes its audit row in the caller's transaction, and knows nothing of chat.
 */
import { randomUUID } from 'node:crypto';
import { ForbiddenError, NotFoundError, UserError } from '../core/errors.js';
import type { Tx } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import { audit } from './audit.js';
import { assertCan, canUpdateTask, type Actor } from './permissions.js';

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

/** Creates a task with the commune's next number. */
export async function createTask(db: Tx, actor: Actor, input: NewTask): Promise<TaskView> {
  assertCan(actor, 'task.create');
  const title = input.title.trim();
  if (!title) throw new UserError('E_INVALID', 'tasks.noTitle');
  if (title.length > 300) throw new UserError('E_INVALID', 'tasks.titleTooLong', { max: 300 });
  if (input.assigneeId && input.assigneeId !== actor.memberId) assertCan(actor, 'task.assign');
  if (input.projectId) assertCan(actor, 'project.read');
  // Number, task, audit row and the names shown: one statement (four to six through the
  // client, docs/performance.md). The audit row's `after` is trace(task), its number added in SQL.
  // A UUID, as the schema's `@default(uuid())` gives a task created through the client.
  const id = randomUUID();
  const now = new Date();
  const fields = { title, status: 'OPEN', dueAt: input.dueAt ?? null, assigneeId: input.assigneeId ?? null, projectId: input.projectId ?? null };
  const [row] = await db.$queryRaw<(Omit<TaskView, 'assignee' | 'project'> & { assigneeName: string | null; projectName: string | null })[]>`
    WITH "seq" AS (
      UPDATE "Commune" SET "taskSeq" = "taskSeq" + 1 WHERE "id" = ${actor.communeId} RETURNING "taskSeq"
    ), "t" AS (
      INSERT INTO "Task" ("id", "communeId", "number", "title", "status", "dueAt", "assigneeId", "projectId", "createdById", "createdVia", "createdAt", "updatedAt")
      SELECT ${id}, ${actor.communeId}, "seq"."taskSeq", ${title}, 'OPEN'::"TaskStatus", ${fields.dueAt}::timestamp, ${fields.assigneeId}, ${fields.projectId},
             ${actor.memberId}, ${actor.platform}::"Platform", ${now}::timestamp, ${now}::timestamp
      FROM "seq"
      RETURNING *
    ), "a" AS (
      INSERT INTO "AuditEvent" ("communeId", "actorId", "platform", "action", "entityType", "entityId", "after", "createdAt")
      SELECT ${actor.communeId}, ${actor.memberId}, ${actor.platform}::"Platform", 'task.create', 'task', ${id},
             jsonb_build_object('number', "t"."number") || ${JSON.stringify(fields)}::jsonb, ${now}::timestamp
      FROM "t"
    )
    SELECT "t".*, m."displayName" AS "assigneeName", p."name" AS "projectName"
    FROM "t" LEFT JOIN "Member" m ON m."id" = "t"."assigneeId" LEFT JOIN "Project" p ON p."id" = "t"."projectId"`;
  if (!row) throw new Error(`commune ${actor.communeId} not found`);
  const { assigneeName, projectName, ...created } = row;
  return {
    ...created,
    assignee: created.assigneeId ? { id: created.assigneeId, displayName: assigneeName ?? '' } : null,
    project: created.projectId ? { id: created.projectId, name: projectName ?? '' } : null,
  };
}

/** The task numbered `number` in the actor's commune (with a row lock for a change). */
export async function taskByNumber(db: Tx, actor: Actor, number: number, forUpdate = false): Promise<TaskView> {
  assertCan(actor, 'task.read');
  if (forUpdate) {
    await db.$queryRaw`SELECT 1 FROM "Task" WHERE "communeId" = ${actor.communeId} AND "number" = ${number} FOR UPDATE`;
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
