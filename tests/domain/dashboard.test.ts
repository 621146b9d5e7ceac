import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../src/core/errors.js';
import type { PrismaClient } from '../../src/db/client.js';
import { dashboard } from '../../src/domain/dashboard.js';
import type { Actor } from '../../src/domain/permissions.js';
import { testDatabase, type TestDatabase } from '../helpers/db.js';
import { transaction } from '../../src/db/sql.js';

const NOW = new Date('2026-12-01T09:00:00Z');
const DAY = 24 * 3600_000;

describe('dashboard', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let mayor: Actor;
  let other: Actor;

  beforeAll(async () => {
    db = await testDatabase('domain-dashboard');
    prisma = db.prisma;
    const commune = await prisma.commune.create({ data: { name: 'Trébeurden', insee: '22343', timezone: 'Europe/Paris', taskSeq: 100 } });
    const elsewhere = await prisma.commune.create({ data: { name: 'Lannion', insee: '22113', timezone: 'Europe/Paris' } });
    const m = await prisma.member.create({ data: { communeId: commune.id, role: 'MAYOR', displayName: 'Anne Le Goff', searchName: 'anne le goff' } });
    const o = await prisma.member.create({ data: { communeId: elsewhere.id, role: 'MAYOR', displayName: 'Yann', searchName: 'yann' } });
    const agent = await prisma.member.create({ data: { communeId: commune.id, role: 'AGENT', displayName: 'Paul Agent', searchName: 'paul agent' } });
    mayor = { memberId: m.id, communeId: commune.id, role: 'MAYOR', platform: 'CONSOLE' };
    other = { memberId: o.id, communeId: elsewhere.id, role: 'MAYOR', platform: 'CONSOLE' };
    let n = 0;
    const task = (communeId: string, data: { status?: 'OPEN' | 'DONE'; dueAt?: Date | null; assigneeId?: string | null; completedAt?: Date | null; title?: string }) =>
      prisma.task.create({
        data: { communeId, number: ++n, title: data.title ?? `tâche ${n}`, createdById: communeId === commune.id ? m.id : o.id, createdVia: 'CONSOLE', status: data.status ?? 'OPEN', dueAt: data.dueAt ?? null, assigneeId: data.assigneeId ?? null, completedAt: data.completedAt ?? null },
      });
    // Overdue: six, from 1 to 6 days late; the two latest are assigned.
    for (let d = 1; d <= 6; d++) await task(commune.id, { dueAt: new Date(NOW.getTime() - d * DAY), assigneeId: d >= 5 ? agent.id : null, title: `en retard de ${d} j` });
    // Due within the week (assigned) and later (unassigned), no due date (unassigned).
    await task(commune.id, { dueAt: new Date(NOW.getTime() + 2 * DAY), assigneeId: agent.id });
    await task(commune.id, { dueAt: new Date(NOW.getTime() + 20 * DAY) });
    await task(commune.id, {});
    // Done: two this week, one a month ago (counted nowhere).
    await task(commune.id, { status: 'DONE', completedAt: new Date(NOW.getTime() - DAY) });
    await task(commune.id, { status: 'DONE', completedAt: new Date(NOW.getTime() - 3 * DAY) });
    await task(commune.id, { status: 'DONE', completedAt: new Date(NOW.getTime() - 30 * DAY) });
    // Another commune's overdue task must not show.
    await task(elsewhere.id, { dueAt: new Date(NOW.getTime() - 10 * DAY) });
    await prisma.project.createMany({
      data: [
        { communeId: commune.id, name: 'Voirie', searchName: 'voirie' },
        { communeId: commune.id, name: 'École', searchName: 'ecole' },
        { communeId: commune.id, name: 'Ancien', searchName: 'ancien', archived: true },
        { communeId: elsewhere.id, name: 'Port', searchName: 'port' },
      ],
    });
    const meeting = (communeId: string, number: number, startsAt: Date, status: 'SCHEDULED' | 'CANCELLED' = 'SCHEDULED') =>
      prisma.meeting.create({ data: { communeId, number, title: `réunion ${number}`, startsAt, durationMin: 60, status, createdById: communeId === commune.id ? m.id : o.id } });
    await meeting(commune.id, 1, new Date(NOW.getTime() - DAY));
    await meeting(commune.id, 2, new Date(NOW.getTime() + 5 * DAY));
    await meeting(commune.id, 3, new Date(NOW.getTime() + 1 * DAY));
    await meeting(commune.id, 4, new Date(NOW.getTime() + 2 * DAY), 'CANCELLED');
    await meeting(commune.id, 5, new Date(NOW.getTime() + 3 * DAY));
    await meeting(commune.id, 6, new Date(NOW.getTime() + 9 * DAY));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("counts the commune's tasks and projects, lists the five most overdue with their assignee and the next three meetings", async () => {
    const d = await transaction(prisma, (t) => dashboard(t, mayor, NOW));
    expect({ open: d.open, overdue: d.overdue, dueThisWeek: d.dueThisWeek, unassigned: d.unassigned, doneLast7Days: d.doneLast7Days, activeProjects: d.activeProjects }).toEqual({
      open: 9,
      overdue: 6,
      dueThisWeek: 1,
      unassigned: 6,
      doneLast7Days: 2,
      activeProjects: 2,
    });
    expect(d.overdueTasks.map((t) => [t.title, t.assignee])).toEqual([
      ['en retard de 6 j', 'Paul Agent'],
      ['en retard de 5 j', 'Paul Agent'],
      ['en retard de 4 j', null],
      ['en retard de 3 j', null],
      ['en retard de 2 j', null],
    ]);
    expect(d.overdueTasks[0]!.dueAt).toEqual(new Date(NOW.getTime() - 6 * DAY));
    expect(d.nextMeetings.map((m) => m.number)).toEqual([3, 5, 2]);
  });

  it('shows another commune only its own figures, and refuses a member who may not read it', async () => {
    const d = await transaction(prisma, (t) => dashboard(t, other, NOW));
    expect([d.open, d.overdue, d.activeProjects, d.nextMeetings.length]).toEqual([1, 1, 1, 0]);
    expect(d.overdueTasks.map((t) => t.assignee)).toEqual([null]);
    await expect(transaction(prisma, (t) => dashboard(t, { ...mayor, role: 'CITIZEN' }, NOW))).rejects.toBeInstanceOf(ForbiddenError);
  });
});
