import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileReminders, scheduleReminders } from '../../src/jobs/reminders.js';
import { nextOccurrence } from '../../src/time/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';


describe('reminders through the console and the real queues', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('reminders');
  });
  afterAll(async () => {
    await h?.stop();
  });

  const latest = () => h.prisma.reminder.findFirstOrThrow({ where: { kind: 'USER' }, orderBy: { number: 'desc' } });
  /** Brings a reminder's next firing to `inMs` from now and schedules it, as the reconciler would. */
  const dueSoon = async (id: string, inMs = 300) => {
    await h.prisma.reminder.update({ where: { id }, data: { nextAt: new Date(Date.now() + inMs) } });
    await scheduleReminders(h.prisma, h.app.queues, [id], h.app.services.clock);
  };
  const printed = (text: string) => until(`"${text}" printed`, () => h.transcript().includes(text));

  it('reads one-shot and recurring times in French and English', async () => {
    const t0 = Date.now();
    expect(await h.say('maire', '/rappel dans 20 minutes relancer le traiteur')).toContain('Rappel n°');
    let r = await latest();
    expect(r.text).toBe('relancer le traiteur');
    expect(Math.abs(r.nextAt!.getTime() - (t0 + 20 * 60_000))).toBeLessThan(5_000);
    expect(r.rrule).toBeNull();

    await h.say('maire', '/rappel tous les lundis 8h30 point hebdo');
    r = await latest();
    expect(r.text).toBe('point hebdo');
    expect(r.rrule).toContain('FREQ=WEEKLY');
    expect(r.rrule).toContain('BYDAY=MO');
    expect(r.timezone).toBe('Europe/Paris');
    const local = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(r.nextAt!);
    expect(local).toBe('lundi 08:30');

    await h.say('maire', '/rappel chaque 1er du mois à 9h payer les factures');
    expect((await latest()).rrule).toContain('BYMONTHDAY=1');

    await h.prisma.member.update({ where: { id: h.demo.members.adjoint }, data: { locale: 'en' } });
    expect(await h.say('adjoint', '/remind every weekday 8am check the mailbox')).toContain('Reminder no.');
    r = await latest();
    expect(r.rrule).toContain('BYDAY=MO,TU,WE,TH,FR');
    expect(r.text).toBe('check the mailbox');
    await h.prisma.member.update({ where: { id: h.demo.members.adjoint }, data: { locale: 'fr' } });

    const bad = await h.say('maire', '/rappel appeler le SDIS');
    expect(bad).toContain('Je ne trouve pas quand');
    expect(bad).toContain('Exemple : /rappel');
  });

  it('reminds another member only for deputies and the mayor, and lists and cancels', async () => {
    expect(await h.say('maire', '/rappel @Paul demain 10h rendre les clés')).toContain('pour Paul Lefèvre');
    const forPaul = await latest();
    expect(forPaul.targetMemberId).toBe(h.demo.members.adjoint);
    expect(await h.say('conseillere', '/rappel @Paul demain 10h rien')).toContain('Votre rôle ne permet pas');
    const list = await h.say('adjoint', '/rappels');
    expect(list).toContain('rendre les clés');
    expect(await h.say('maire', `/annuler ${forPaul.number}`)).toContain(`Rappel n°${forPaul.number} annulé`);
    expect((await h.prisma.reminder.findUniqueOrThrow({ where: { id: forPaul.id } })).status).toBe('CANCELLED');
    expect(await h.say('maire', '/annuler 999')).toContain('Il n’y a pas de rappel n°999');
    const audits = await h.prisma.auditEvent.findMany({ where: { entityId: forPaul.id }, orderBy: { id: 'asc' } });
    expect(audits.map((a) => a.action)).toEqual(['reminder.create', 'reminder.cancel']);
  });

  it('fires a reminder through the console with working buttons, and a recurring one moves to its next occurrence', async () => {
    await h.say('maire', '/rappel demain 9h appeler le SDIS');
    const once = await latest();
    await dueSoon(once.id);
    await printed('🔔 Rappel : appeler le SDIS');
    expect(h.transcript()).toContain('[1] ✅ Fait  [2] ⏰ Reporter (1 jour)');
    const fired = await h.prisma.reminder.findUniqueOrThrow({ where: { id: once.id } });
    expect(fired.status).toBe('DONE');
    expect(fired.firedCount).toBe(1);
    expect(await h.say('maire', '2')).toContain('Je vous le rappelle');
    const snoozed = await h.prisma.reminder.findUniqueOrThrow({ where: { id: once.id } });
    expect(snoozed.status).toBe('ACTIVE');
    expect(snoozed.nextAt!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);

    await h.say('maire', '/rappel tous les lundis 8h30 réunion d’équipe');
    const weekly = await latest();
    await dueSoon(weekly.id);
    await printed('🔔 Rappel : réunion d’équipe');
    const moved = await until('advanced', async () => {
      const r = await h.prisma.reminder.findUniqueOrThrow({ where: { id: weekly.id } });
      return r.firedCount === 1 ? r : undefined;
    });
    expect(moved.status).toBe('ACTIVE');
    expect(moved.nextAt!.toISOString()).toBe(nextOccurrence(weekly.rrule!, 'Europe/Paris', new Date())!.toISOString());
  });

  it('reminds a task’s assignee at the due time and drops the follow-up once it is done', async () => {
    await h.say('maire', '/tache Déposer le dossier DETR @Paul pour demain 14h');
    const task = await h.prisma.task.findFirstOrThrow({ where: { title: 'Déposer le dossier DETR' } });
    const due = await h.prisma.reminder.findUniqueOrThrow({ where: { taskId_kind: { taskId: task.id, kind: 'TASK_DUE' } } });
    const follow = await h.prisma.reminder.findUniqueOrThrow({ where: { taskId_kind: { taskId: task.id, kind: 'TASK_FOLLOWUP' } } });
    expect(due.nextAt!.toISOString()).toBe(task.dueAt!.toISOString());
    expect(due.targetMemberId).toBe(h.demo.members.adjoint);
    expect(new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(follow.nextAt!)).toBe('09:00');
    await dueSoon(due.id);
    await printed(`C’est l’échéance de la tâche #${task.number}`);
    await h.say('adjoint', `/fait ${task.number}`);
    expect((await h.prisma.reminder.findUniqueOrThrow({ where: { id: follow.id } })).status).toBe('CANCELLED');
  });

  it('fires each future reminder once after Redis lost every job', async () => {
    await h.say('maire', '/rappel demain 9h vérifier le chauffage');
    const r = await latest();
    await h.prisma.reminder.update({ where: { id: r.id }, data: { nextAt: new Date(Date.now() + 1500) } });
    // Redis flushed: this file's keys disappear (its queues, delayed jobs and all).
    const keys = await h.app.services.redis.keys(`${h.app.queues.prefix}:reminders:*`);
    if (keys.length) await h.app.services.redis.del(...keys);
    const { scheduled } = await reconcileReminders(h.app.services, h.app.queues, 6 * 3600_000, 12 * 3600_000);
    expect(scheduled).toBeGreaterThanOrEqual(1);
    await reconcileReminders(h.app.services, h.app.queues, 6 * 3600_000, 12 * 3600_000); // a second scheduler
    await printed('🔔 Rappel : vérifier le chauffage');
    await new Promise((res) => setTimeout(res, 1500));
    expect(h.transcript().split('🔔 Rappel : vérifier le chauffage').length - 1).toBe(1);
    expect((await h.prisma.reminder.findUniqueOrThrow({ where: { id: r.id } })).firedCount).toBe(1);
  });

  it('delivers a reminder that fell due while the bot was down, marked late; sums up those too old', async () => {
    await h.say('maire', '/rappel demain 9h sortir les poubelles');
    const late = await latest();
    await h.prisma.reminder.update({ where: { id: late.id }, data: { nextAt: new Date(Date.now() - 2 * 3600_000) } });
    await h.say('maire', '/rappel demain 9h arroser les fleurs');
    const old = await latest();
    await h.prisma.reminder.update({ where: { id: old.id }, data: { nextAt: new Date(Date.now() - 13 * 3600_000) } });
    const { summarised } = await reconcileReminders(h.app.services, h.app.queues, 6 * 3600_000, 12 * 3600_000);
    expect(summarised).toBe(1);
    await printed('🔔 Rappel : sortir les poubelles');
    await printed('envoyé en retard');
    await printed('Pilote a été interrompu : 1 rappel(s)');
    expect(h.transcript()).toContain('• arroser les fleurs');
    expect(h.transcript()).not.toContain('🔔 Rappel : arroser les fleurs');
    expect((await h.prisma.reminder.findUniqueOrThrow({ where: { id: old.id } })).status).toBe('DONE');
  });

  it('schedules each reminder for its own time, however long reconciling many of them takes', async () => {
    // 12,000 reminders, an hour or more ahead: three pages of the reconciler, twelve addBulks,
    // the last hundreds of milliseconds after the reconcile began.
    const count = 12_000;
    const at0 = Date.now() + 3600_000;
    const { communeId, members } = h.demo;
    await h.prisma.$executeRaw`
      INSERT INTO "Reminder" ("id", "communeId", "number", "kind", "createdById", "targetMemberId", "text", "firstAt", "timezone", "nextAt", "status", "updatedAt")
      SELECT 'many_' || i, ${communeId}, 900000 + i, 'USER', ${members.maire}, ${members.maire}, 'rappel ' || i,
        to_timestamp((${at0}::float8 + i * 500) / 1000), 'Europe/Paris', to_timestamp((${at0}::float8 + i * 500) / 1000), 'ACTIVE', now()
      FROM generate_series(0, ${count - 1}::int) i`;
    try {
      await reconcileReminders(h.app.services, h.app.queues, 6 * 3600_000, 12 * 3600_000);
      // BullMQ's delayed set: the score is the instant a job falls due, times 4096 (plus a counter).
      const scored = await h.app.services.redis.zrange(`${h.app.queues.prefix}:reminders:delayed`, '0', '-1', 'WITHSCORES');
      const offBy: number[] = [];
      for (let i = 0; i < scored.length; i += 2) {
        const m = /^reminder-many_\d+-(\d+)$/.exec(scored[i]!);
        if (m) offBy.push(Math.floor(Number(scored[i + 1]) / 0x1000) - Number(m[1]));
      }
      expect(offBy).toHaveLength(count);
      // Each due within 150 ms of its reminder's time: measured from one clock reading at the start,
      // the delays made the last pages fall due as late as the reconcile had taken by then.
      expect(Math.max(...offBy.map(Math.abs))).toBeLessThan(150);
    } finally {
      await h.prisma.reminder.deleteMany({ where: { id: { startsWith: 'many_' } } });
    }
  });

  it('ignores a stale job whose reminder moved', async () => {
    await h.say('maire', '/rappel demain 9h job périmé');
    const r = await latest();
    await h.app.queues.reminders.add('fire', { reminderId: r.id, at: Date.now() - 1000 }, { jobId: `reminder-${r.id}-stale` });
    await new Promise((res) => setTimeout(res, 800));
    expect(h.transcript()).not.toContain('Rappel : job périmé');
    expect((await h.prisma.reminder.findUniqueOrThrow({ where: { id: r.id } })).firedCount).toBe(0);
  });
});
