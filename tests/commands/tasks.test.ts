import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/core/pipeline.js';
import type { InboundEvent } from '../../src/core/types.js';
import { handleInbound } from '../../src/jobs/inbound.js';
import { consoleEvent, startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';

// Tuesday 1 December 2026, 10:00 in Paris (UTC+1).
const NOW = new Date('2026-12-01T09:00:00Z');

describe('task commands through the console and the real queues', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('tasks', { clock: () => NOW, now: NOW });
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** The mayor's line `text` in her direct chat, as the platform event `id`. */
  const mayorSays = (id: string, text: string): InboundEvent => consoleEvent(id, 'maire', text, NOW, 'direct');

  const task = (number: number) =>
    h.prisma.task.findUniqueOrThrow({ where: { communeId_number: { communeId: h.demo.communeId, number } }, include: { assignee: true } });

  it('creates a task with assignee and due date read in the commune zone, audited, with buttons', async () => {
    const out = await h.say('maire', '/tache Réparer le lampadaire rue des Écoles @Paul pour vendredi 17h');
    const created = await task(5);
    expect(created.title).toBe('Réparer le lampadaire rue des Écoles');
    expect(created.assignee?.displayName).toBe('Paul Lefèvre');
    expect(created.dueAt?.toISOString()).toBe('2026-12-04T16:00:00.000Z');
    expect(created.createdVia).toBe('CONSOLE');
    expect(created.createdById).toBe(h.demo.members.maire);
    expect(out).toContain('Tâche #5 créée : Réparer le lampadaire rue des Écoles');
    expect(out).toContain('[1] ✅ Fait');
    expect(out).toContain('[2] ⏰ Reporter (1 jour)');
    // Paul is told privately, in his own words.
    expect(out).toContain('Claire Martin vous confie la tâche #5');
    const audits = await h.prisma.auditEvent.findMany({ where: { entityId: created.id } });
    expect(audits.map((a) => a.action)).toEqual(['task.create']);
    expect(audits[0]!.actorId).toBe(h.demo.members.maire);
    expect(audits[0]!.platform).toBe('CONSOLE');
  });

  it('marks the task done when its ✅ button is pressed, editing the message', async () => {
    await h.say('maire', '/tache Commander du sel de déneigement');
    const out = await h.say('maire', '1');
    const t6 = await task(6);
    expect(t6.status).toBe('DONE');
    expect(t6.completedById).toBe(h.demo.members.maire);
    expect(out).toContain('✎ ✅ #6 Commander du sel de déneigement — fait par Claire Martin');
    const again = await h.say('maire', '/fait 6');
    expect(again).toContain('La tâche #6 est déjà faite (par Claire Martin).');
    const actions = await h.prisma.auditEvent.findMany({ where: { entityId: t6.id }, orderBy: { id: 'asc' } });
    expect(actions.map((a) => a.action)).toEqual(['task.create', 'task.complete']);
  });

  it('postpones by a day with the ⏰ button', async () => {
    await h.say('maire', '/tache Tailler les haies du cimetière pour jeudi');
    const before = await task(7);
    expect(before.dueAt?.toISOString()).toBe('2026-12-03T17:00:00.000Z'); // default 18:00
    const out = await h.say('maire', '2');
    const after = await task(7);
    expect(after.dueAt?.toISOString()).toBe('2026-12-04T17:00:00.000Z');
    expect(out).toContain('Tâche #7 reportée');
  });

  it('lists, filters, completes, reopens, assigns and postpones by number', async () => {
    const all = await h.say('maire', '/taches');
    expect(all).toContain('Tâches ouvertes');
    expect(all).toContain('#2 Relancer le devis de la toiture');
    const late = await h.say('maire', '/tâches retard');
    expect(late).toContain('#2');
    expect(late).toContain('en retard');
    expect(late).not.toContain('#5 ');
    const sophie = await h.say('maire', '/taches @sophie');
    expect(sophie).toContain('Tâches de Sophie Bernard');
    expect(sophie).toContain('#2');

    expect(await h.say('maire', '/fait 3')).toContain('Tâche #3 faite');
    expect((await task(3)).status).toBe('DONE');
    expect(await h.say('maire', '/rouvrir 3')).toContain('Tâche #3 rouverte');
    expect((await task(3)).status).toBe('OPEN');

    expect(await h.say('maire', '/assigner 4 @marie')).toContain('Tâche #4 confiée à Marie Dupont.');
    expect((await task(4)).assignee?.displayName).toBe('Marie Dupont');

    expect(await h.say('maire', '/reporter 4 lundi')).toContain('Tâche #4 reportée');
    expect((await task(4)).dueAt?.toISOString()).toBe('2026-12-07T17:00:00.000Z');
  });

  it('answers bad input with what was wrong and an example, changing nothing', async () => {
    const count = await h.prisma.task.count();
    expect(await h.say('maire', '/fait 999')).toContain('Il n’y a pas de tâche n°999.');
    const noNumber = await h.say('maire', '/fait abc');
    expect(noNumber).toContain('Il faut le numéro de la tâche.');
    expect(noNumber).toContain('Exemple : /fait <n°>');
    expect(await h.say('maire', '/tache')).toContain('Il manque le titre');
    expect(await h.say('maire', '/reporter 4 le 31 février')).toContain('Je ne comprends pas la date');
    expect(await h.say('maire', '/tache Voir le notaire @Zorglub')).toContain('Je ne trouve personne qui s’appelle « @Zorglub »');
    const ambiguous = await h.say('maire', '/assigner 4 @ma');
    expect(ambiguous).toContain('peut désigner');
    expect(ambiguous).toContain('Claire Martin');
    expect(ambiguous).toContain('Marie Dupont');
    expect(await h.say('maire', '/tahce Réparer')).toContain('Vouliez-vous dire /tache');
    expect(await h.prisma.task.count()).toBe(count);
  });

  it('checks roles: an agent changes only their tasks, a citizen makes none', async () => {
    const denied = await h.say('agent', '/fait 4');
    expect(denied).toContain('Votre rôle ne permet pas cette action');
    expect((await task(4)).status).toBe('OPEN');
    expect(await h.say('agent', '/fait 2')).toContain('Tâche #2 faite');
    expect(await h.say('agent', '/assigner 1 @marie')).toContain('Votre rôle ne permet pas cette action');
    expect(await h.say('citoyen', '/tache Nettoyer le lavoir')).toContain('Votre rôle ne permet pas cette action');
    expect(await h.prisma.task.count({ where: { title: 'Nettoyer le lavoir' } })).toBe(0);
    expect(await h.say('inconnu', '/taches')).toContain('Je ne vous connais pas encore');
  });

  it('shows the dashboard with counts from the database', async () => {
    const open = await h.prisma.task.count({ where: { communeId: h.demo.communeId, status: 'OPEN' } });
    const overdue = await h.prisma.task.count({ where: { communeId: h.demo.communeId, status: 'OPEN', dueAt: { lt: NOW } } });
    const out = await h.say('adjoint', '/tableau');
    expect(out).toContain('Tableau de bord — Saint-Pilote');
    expect(out).toContain(`Tâches ouvertes : ${open}`);
    expect(out).toContain(`en retard : ${overdue}`);
  });

  it('shows my agenda of due tasks', async () => {
    const out = await h.say('adjoint', '/agenda');
    expect(out).toContain('Mon agenda');
    expect(out).toContain('#5 Réparer le lampadaire');
    expect(out).not.toContain('#4 ');
    expect(await h.say('adjoint', '/agenda année')).toContain('Période inconnue');
  });

  it('answers in English for an English-speaking member', async () => {
    await h.prisma.member.update({ where: { id: h.demo.members.conseillere }, data: { locale: 'en' } });
    const out = await h.say('conseillere', '/task Check the fire extinguishers for tomorrow 5pm');
    expect(out).toContain('Task #');
    expect(out).toContain('created: Check the fire extinguishers');
    expect(out).toContain('[1] ✅ Done');
    const created = await h.prisma.task.findFirstOrThrow({ where: { title: 'Check the fire extinguishers' } });
    expect(created.dueAt?.toISOString()).toBe('2026-12-02T16:00:00.000Z');
  });

  it('handles a redelivered platform event once, whether it comes again alone or twice in one job', async () => {
    const event = mayorSays('console-redelivery-1', 'tache Vérifier la redélivrance');
    // Twice in the same turn, so in the same job and the same transaction.
    await Promise.all([h.app.submit(event), h.app.submit(event)]);
    await h.app.settle(event.id);
    await h.app.submit(event); // redelivered later: Postgres remembers the key
    const handled = async () => (await h.app.queues.inbound.getCompleted()).flatMap((j) => j.data.events).filter((e) => e.id === event.id).length;
    await until('all three taken through', async () => (await handled()) === 3);
    expect((await h.app.queues.inbound.getCompleted()).some((j) => j.data.events.filter((e) => e.id === event.id).length === 2)).toBe(true);
    expect(await h.prisma.task.count({ where: { title: 'Vérifier la redélivrance' } })).toBe(1);
    expect(await h.prisma.outboxMessage.count({ where: { sourceEventKey: event.id } })).toBe(1);
    expect(await h.prisma.handledEvent.count({ where: { key: event.id } })).toBe(1);
  });

  it('handles one event taken by two workers at once a single time: the second rolls its change back', async () => {
    const event = mayorSays('console-race-1', 'tache Vérifier la course');
    const run = pipeline(h.app.router);
    const results = await Promise.all([1, 2, 3].map(() => handleInbound(h.app.services, h.app.metrics, run, { event, rank: 1 })));
    expect(results.filter((r) => r.duplicate)).toHaveLength(2);
    expect(results.filter((r) => !r.duplicate).map((r) => r.replies.length)).toEqual([1]);
    expect(await h.prisma.task.count({ where: { title: 'Vérifier la course' } })).toBe(1);
    expect(await h.prisma.auditEvent.count({ where: { action: 'task.create', entityId: (await h.prisma.task.findFirstOrThrow({ where: { title: 'Vérifier la course' } })).id } })).toBe(1);
    expect(await h.prisma.outboxMessage.count({ where: { sourceEventKey: event.id } })).toBe(1);
  });

  it('claims an event that failed with a user mistake once, with its answer', async () => {
    const event = mayorSays('console-mistake-1', 'fait 999');
    const run = pipeline(h.app.router);
    const first = await handleInbound(h.app.services, h.app.metrics, run, { event, rank: 1 });
    const again = await handleInbound(h.app.services, h.app.metrics, run, { event, rank: 1 });
    expect(first).toMatchObject({ duplicate: false });
    expect(first.replies).toHaveLength(1);
    expect(again).toEqual({ duplicate: true, replies: [] });
    const [answer] = await h.prisma.outboxMessage.findMany({ where: { sourceEventKey: event.id } });
    expect((answer!.payload as { text: string }).text).toContain('999');
    expect(await h.prisma.handledEvent.count({ where: { key: event.id } })).toBe(1);
  });
});
