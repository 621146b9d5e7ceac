import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestDue, enqueueDueDigests } from '../../src/jobs/digests.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';

// Tuesday 1 December 2026, 07:35 in Paris (06:35 UTC).
const NOW = new Date('2026-12-01T06:35:00Z');


describe('morning digests', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('digests', { clock: () => NOW, now: NOW });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('knows when a digest is due, in the member’s zone, with a catch-up window', () => {
    expect(digestDue('07:30', 'Europe/Paris', NOW, null)).toBe('2026-12-01');
    expect(digestDue('07:30', 'Europe/Paris', NOW, '2026-12-01')).toBeUndefined();
    expect(digestDue('07:40', 'Europe/Paris', NOW, null)).toBeUndefined();
    expect(digestDue('06:30', 'Europe/Paris', NOW, null)).toBeUndefined(); // more than 30 min ago
    expect(digestDue('10:30', 'Indian/Reunion', NOW, null)).toBe('2026-12-01'); // 10:35 there
  });

  it('sets the digest time with /resume and refuses a bad time', async () => {
    expect(await h.say('adjoint', '/resume 7h30')).toContain('Résumé du matin chaque jour à 07:30');
    const paul = await h.prisma.member.findUniqueOrThrow({ where: { id: h.demo.members.adjoint } });
    expect(paul.digestTime).toBe('07:30');
    expect(await h.say('adjoint', '/resume 25h')).toContain('Je ne comprends pas l’heure');
    expect(await h.say('conseillere', '/resume salon 8h')).toContain('Votre rôle ne permet pas');
    expect(await h.prisma.auditEvent.count({ where: { action: 'member.digest', actorId: paul.id } })).toBe(1);
  });

  it('sends each digest once with two schedulers, with the member’s day, and no empty digest', async () => {
    // Paul's Christmas lights are due today at 10:00; the commune did something an hour ago.
    await h.prisma.task.updateMany({ where: { title: 'Commander les illuminations de Noël' }, data: { dueAt: new Date('2026-12-01T09:00:00Z') } });
    await h.prisma.auditEvent.create({ data: { communeId: h.demo.communeId, action: 'task.create', entityType: 'task', createdAt: new Date(NOW.getTime() - 3600_000) } });
    // Neither what came before yesterday nor what comes after the digest's moment is counted.
    await h.prisma.auditEvent.create({ data: { communeId: h.demo.communeId, action: 'task.complete', entityType: 'task', createdAt: new Date(NOW.getTime() - 25 * 3600_000) } });
    await h.prisma.auditEvent.create({ data: { communeId: h.demo.communeId, action: 'task.complete', entityType: 'task', createdAt: new Date(NOW.getTime() + 60_000) } });
    await h.prisma.member.update({ where: { id: h.demo.members.citoyen }, data: { digestTime: '07:30' } });
    const before = h.transcript().length;
    const [a, b] = await Promise.all([enqueueDueDigests(h.app.services, h.app.queues, NOW), enqueueDueDigests(h.app.services, h.app.queues, NOW)]);
    expect(a).toBe(2);
    expect(b).toBe(2);
    await until('digests handled', async () => {
      const m = await h.prisma.member.findMany({ where: { digestTime: '07:30' }, select: { lastDigestOn: true } });
      return m.every((x) => x.lastDigestOn === '2026-12-01');
    });
    await new Promise((r) => setTimeout(r, 500));
    const out = h.transcript().slice(before);
    expect(out.split('Bonjour Paul Lefèvre').length - 1).toBe(1);
    expect(out).toContain('mardi 1 décembre');
    expect(out).toContain('À faire aujourd’hui');
    expect(out).toContain("#1 Commander les illuminations de Noël — aujourd'hui 10:00");
    expect(out).toContain('Depuis hier : 1 tâche(s) créée(s), 0 faite(s), 0 autre(s) changement(s).');
    expect(out.split('Bonjour Jean Petit').length - 1).toBe(1);
    // A third run finds both handled for today.
    expect(await enqueueDueDigests(h.app.services, h.app.queues, NOW)).toBe(0);
  });

  it('posts the commune’s daily digest to the bound council room once', async () => {
    expect(await h.say('maire', '/salon conseil', { room: 'conseil' })).toContain('conseil');
    expect(await h.say('maire', '/resume salon 7h30')).toContain('Résumé quotidien dans le salon du conseil à 07:30');
    const before = h.transcript().length;
    await Promise.all([enqueueDueDigests(h.app.services, h.app.queues, NOW), enqueueDueDigests(h.app.services, h.app.queues, NOW)]);
    await until('room digest', async () => (await h.prisma.commune.findUniqueOrThrow({ where: { id: h.demo.communeId } })).lastRoomDigestOn === '2026-12-01');
    await new Promise((r) => setTimeout(r, 400));
    const out = h.transcript().slice(before);
    expect(out.split('[conseil] ☀️ Saint-Pilote — la journée du mardi 1 décembre').length - 1).toBe(1);
    expect(out).toContain('En retard');
  });

  it('sends nothing when there is nothing to say', async () => {
    await h.prisma.auditEvent.deleteMany({});
    await h.prisma.member.update({ where: { id: h.demo.members.agent }, data: { digestTime: '07:30' } });
    await h.prisma.task.updateMany({ where: { assigneeId: h.demo.members.agent }, data: { status: 'DONE' } });
    const outboxBefore = await h.prisma.outboxMessage.count();
    expect(await enqueueDueDigests(h.app.services, h.app.queues, NOW)).toBe(1);
    await until('handled', async () => (await h.prisma.member.findUniqueOrThrow({ where: { id: h.demo.members.agent } })).lastDigestOn === '2026-12-01');
    expect(await h.prisma.outboxMessage.count()).toBe(outboxBefore);
  });
});
