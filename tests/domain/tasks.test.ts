import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import type { PrismaClient } from '../../src/db/client.js';
import { quoteIdent, runOnce } from '../../src/db/engine-adapters.js';
import { createTask } from '../../src/domain/tasks.js';
import type { Actor } from '../../src/domain/permissions.js';
import { SERVER_URL, countStatements, testDatabase, type TestDatabase } from '../helpers/db.js';
import { transaction } from '../../src/db/sql.js';

const VIEW = { assignee: { select: { id: true, displayName: true } }, project: { select: { id: true, name: true } } } as const;

describe('createTask', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let mayor: Actor;
  let agentId: string;
  let projectId: string;
  let communeId: string;

  beforeAll(async () => {
    db = await testDatabase('domain-tasks');
    // Sessions not in UTC (a managed PostgreSQL set to the local zone): timestamps must not move.
    await runOnce(SERVER_URL, `ALTER DATABASE ${quoteIdent(new URL(db.url).pathname.slice(1))} SET timezone = 'Pacific/Auckland'`);
    prisma = db.prisma;
    const commune = await prisma.commune.create({ data: { name: 'Trébeurden', insee: '22343', timezone: 'Europe/Paris', taskSeq: 41 } });
    communeId = commune.id;
    const m = await prisma.member.create({ data: { communeId, role: 'MAYOR', displayName: 'Anne Le Goff', searchName: 'anne le goff' } });
    const agent = await prisma.member.create({ data: { communeId, role: 'AGENT', displayName: 'Paul Agent', searchName: 'paul agent' } });
    const project = await prisma.project.create({ data: { communeId, name: 'Voirie', searchName: 'voirie' } });
    mayor = { memberId: m.id, communeId, role: 'MAYOR', platform: 'TELEGRAM' };
    agentId = agent.id;
    projectId = project.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('numbers the task, returns what the database holds, and audits it in the same transaction', async () => {
    const dueAt = new Date('2026-12-04T16:00:00.000Z');
    const before = Date.now();
    const view = await transaction(prisma, (tx) => createTask(tx, mayor, { title: '  Réparer le lampadaire  ', dueAt, assigneeId: agentId, projectId }));
    expect(view.number).toBe(42);
    expect(view.title).toBe('Réparer le lampadaire');
    expect(view.assignee).toEqual({ id: agentId, displayName: 'Paul Agent' });
    expect(view.project).toEqual({ id: projectId, name: 'Voirie' });
    // The returned view is exactly what the client reads back (types, dates, enums).
    expect(view).toEqual(await prisma.task.findUniqueOrThrow({ where: { id: view.id }, include: VIEW }));
    expect(view.dueAt).toEqual(dueAt);
    expect(view.status).toBe('OPEN');
    expect(view.createdVia).toBe('TELEGRAM');
    expect(Math.abs(view.createdAt.getTime() - before)).toBeLessThan(60_000);
    expect(view.updatedAt).toEqual(view.createdAt);
    expect((await prisma.commune.findUniqueOrThrow({ where: { id: communeId } })).taskSeq).toBe(42);

    const [audit] = await prisma.auditEvent.findMany({ where: { entityId: view.id } });
    expect(audit).toMatchObject({ communeId, actorId: mayor.memberId, platform: 'TELEGRAM', action: 'task.create', entityType: 'task' });
    expect(audit!.before).toBeNull();
    expect(audit!.after).toEqual({ number: 42, title: 'Réparer le lampadaire', status: 'OPEN', dueAt: dueAt.toISOString(), assigneeId: agentId, projectId });
    expect(Math.abs(audit!.createdAt.getTime() - before)).toBeLessThan(60_000);
  });

  it('leaves the relations empty when none is given', async () => {
    const view = await transaction(prisma, (tx) => createTask(tx, mayor, { title: 'Commander du sel' }));
    expect(view).toMatchObject({ number: 43, dueAt: null, assigneeId: null, assignee: null, projectId: null, project: null });
    expect(view).toEqual(await prisma.task.findUniqueOrThrow({ where: { id: view.id }, include: VIEW }));
  });

  it('gives concurrent creations distinct numbers in order of commit', async () => {
    const views = await Promise.all(Array.from({ length: 8 }, (_, i) => transaction(prisma, (tx) => createTask(tx, mayor, { title: `tâche ${i}` }))));
    expect(views.map((v) => v.number).sort((a, b) => a - b)).toEqual([44, 45, 46, 47, 48, 49, 50, 51]);
    expect(new Set(views.map((v) => v.id)).size).toBe(8);
  });

  it('refuses an empty title before touching the commune counter', async () => {
    await expect(transaction(prisma, (tx) => createTask(tx, mayor, { title: '   ' }))).rejects.toBeInstanceOf(UserError);
    expect((await prisma.commune.findUniqueOrThrow({ where: { id: communeId } })).taskSeq).toBe(51);
  });
  it('writes the creations asked for on one transaction at the same moment in one statement, numbered in the order asked', async () => {
    const dueAt = new Date('2027-01-08T16:00:00.000Z');
    const { result: views, count: inserts } = await countStatements('INSERT INTO "Task"', () =>
      transaction(prisma, (tx) =>
        Promise.all([
          createTask(tx, mayor, { title: 'Premier' }),
          createTask(tx, mayor, { title: 'Deuxième', dueAt, assigneeId: agentId }),
          createTask(tx, mayor, { title: 'Troisième', projectId }),
        ]),
      ),
    );
    expect(inserts).toBe(1);
    expect(views.map((v) => [v.title, v.number])).toEqual([['Premier', 52], ['Deuxième', 53], ['Troisième', 54]]);
    expect(views[1]).toMatchObject({ dueAt, assignee: { id: agentId, displayName: 'Paul Agent' }, project: null });
    expect(views[2]).toMatchObject({ assignee: null, project: { id: projectId, name: 'Voirie' } });
    for (const v of views) expect(v).toEqual(await prisma.task.findUniqueOrThrow({ where: { id: v.id }, include: VIEW }));
    const audits = await prisma.auditEvent.findMany({ where: { entityId: { in: views.map((v) => v.id) } }, orderBy: { id: 'asc' } });
    expect(audits.map((a) => (a.after as { number: number }).number)).toEqual([52, 53, 54]);
    expect(audits[1]!.after).toEqual({ number: 53, title: 'Deuxième', status: 'OPEN', dueAt: dueAt.toISOString(), assigneeId: agentId, projectId: null });
    expect((await prisma.commune.findUniqueOrThrow({ where: { id: communeId } })).taskSeq).toBe(54);
  });
  it('fails only the creation whose commune does not exist, not the others of its statement', async () => {
    const [gone, kept] = await transaction(prisma, (tx) =>
      Promise.allSettled([createTask(tx, { ...mayor, communeId: 'no-such-commune' }, { title: 'Nulle part' }), createTask(tx, mayor, { title: 'Ici' })]),
    );
    expect(gone).toMatchObject({ status: 'rejected', reason: new Error('commune no-such-commune not found') });
    expect(kept).toMatchObject({ status: 'fulfilled', value: { title: 'Ici', number: 55 } });
    expect(await prisma.task.count({ where: { title: 'Nulle part' } })).toBe(0);
  });
});
