import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetingReminderMessage, parseDuration, splitMeetingArgs } from '../../src/commands/meetings.js';
import { translator } from '../../src/i18n/index.js';
import { reminderJobId } from '../../src/jobs/reminders.js';
import { parseWhen } from '../../src/time/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

// Tuesday 1 December 2026, 10:00 in Paris (UTC+1).
const NOW = new Date('2026-12-01T09:00:00Z');
const HOUR = 3600_000;

describe('reunion arguments', () => {
  const when = (text: string) => parseWhen(text, { zone: 'Europe/Paris', locale: 'fr', now: NOW, defaultHour: 18 });
  const split = (args: string) => splitMeetingArgs(args, (w) => w.startsWith('@'), when);

  it('reads the SPEC example: title, date, duration, place, @conseil', () => {
    expect(split('Commission travaux jeudi 18h30 1h30 salle du conseil @conseil')).toEqual({
      title: 'Commission travaux',
      who: [],
      council: true,
      startsAt: new Date('2026-12-03T17:30:00Z'),
      durationMin: 90,
      place: 'salle du conseil',
    });
  });

  it('is tolerant: mentions anywhere, durations in several forms, a range, a place after "à"', () => {
    expect(split('@Paul Point voirie demain 9h pendant 45min à la mairie @sophie')).toMatchObject({
      title: 'Point voirie',
      who: ['@Paul', '@sophie'],
      council: false,
      startsAt: new Date('2026-12-02T08:00:00Z'),
      durationMin: 45,
      place: 'la mairie',
    });
    // "9h 45min" is a time of day in French (9:45), as the time parser reads it.
    expect(split('Point voirie demain 9h 45min')).toMatchObject({ startsAt: new Date('2026-12-02T08:45:00Z') });
    expect(split('Point voirie demain 9h30 45min')).toMatchObject({ startsAt: new Date('2026-12-02T08:30:00Z'), durationMin: 45 });
    expect(split('Conseil municipal le 15 décembre à 20h pendant 2h')).toMatchObject({
      title: 'Conseil municipal',
      startsAt: new Date('2026-12-15T19:00:00Z'),
      durationMin: 120,
    });
    expect(split('Bilan vendredi 18h-20h30 mairie')).toMatchObject({ title: 'Bilan', durationMin: 150, place: 'mairie' });
    // Without a time the meeting starts at 18:00; without a title before the date, the words after it are the title.
    expect(split('jeudi Commission fêtes')).toMatchObject({ title: 'Commission fêtes', startsAt: new Date('2026-12-03T17:00:00Z') });
    expect(split('Works committee thursday 6:30pm 1h30 council room @council')).toMatchObject({
      title: 'Works committee',
      council: true,
      startsAt: new Date('2026-12-03T17:30:00Z'),
      durationMin: 90,
      place: 'council room',
    });
    expect(split('Sans date du tout')).toEqual({ title: 'Sans date du tout', who: [], council: false });
  });

  it('reads durations', () => {
    expect(parseDuration('1h30 salle')?.minutes).toBe(90);
    expect(parseDuration(' 2h')?.minutes).toBe(120);
    expect(parseDuration('45min')?.minutes).toBe(45);
    expect(parseDuration('45 minutes')?.minutes).toBe(45);
    expect(parseDuration('1 h 15')?.minutes).toBe(75);
    expect(parseDuration('salle du conseil')).toBeNull();
    expect(parseDuration('2hommes')).toBeNull();
  });
});

describe('meeting reminder rendering', () => {
  const meeting = { id: 'm1', number: 4, title: 'Commission travaux', startsAt: new Date('2026-12-03T17:30:00Z'), durationMin: 90, place: 'salle du conseil' };

  it('says "demain à 18:30" a day before and "dans 1 h" an hour before, with the RSVP buttons', () => {
    const day = meetingReminderMessage(translator('fr'), meeting, 1440, 'Europe/Paris', 'fr', new Date(meeting.startsAt.getTime() - 24 * HOUR));
    expect(day.text).toBe('📅 Rappel : Commission travaux demain à 18:30 (salle du conseil)');
    expect(day.buttons?.flat().map((b) => [b.action, b.emoji])).toEqual([
      ['meeting.yes:m1', '👍'],
      ['meeting.no:m1', '👎'],
      ['meeting.maybe:m1', '🤷'],
    ]);
    const hour = meetingReminderMessage(translator('fr'), meeting, 60, 'Europe/Paris', 'fr', new Date(meeting.startsAt.getTime() - HOUR + 90_000));
    expect(hour.text).toBe('📅 Rappel : Commission travaux dans 1 h, à 18:30 (salle du conseil)');
    const en = meetingReminderMessage(translator('en'), { ...meeting, place: null }, 60, 'Indian/Reunion', 'en', new Date(meeting.startsAt.getTime() - HOUR));
    expect(en.text).toBe('📅 Reminder: Commission travaux in 1 h, at 21:30');
    expect(en.buttons?.flat().map((b) => b.label)).toEqual(['👍 Yes', '👎 No', '🤷 Maybe']);
    const late = meetingReminderMessage(translator('fr'), meeting, 60, 'Europe/Paris', 'fr', meeting.startsAt);
    expect(late.text).toBe('📅 Commission travaux commence maintenant (salle du conseil)');
  });
});

describe('meeting commands through the console and the real queues', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('meetings', { clock: () => NOW, now: NOW });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const meeting = (number: number) =>
    h.prisma.meeting.findUniqueOrThrow({
      where: { communeId_number: { communeId: h.demo.communeId, number } },
      include: { attendees: true, reminders: { orderBy: { offsetMinutes: 'desc' } } },
    });
  const answers = async (number: number) => {
    const m = await meeting(number);
    return Object.fromEntries(
      Object.entries(h.demo.members)
        .map(([user, id]) => [user, m.attendees.find((a) => a.memberId === id)?.rsvp] as const)
        .filter(([, rsvp]) => rsvp !== undefined),
    );
  };
  const audits = async (number: number) =>
    (await h.prisma.auditEvent.findMany({ where: { entityType: 'meeting', entityId: (await meeting(number)).id }, orderBy: { id: 'asc' } })).map((a) => a.action);

  it('convenes the council: the meeting, its attendees, its audit row, its 24 h and 1 h reminders, an invitation each', async () => {
    const out = await h.say('maire', '/reunion Commission travaux jeudi 18h30 1h30 salle du conseil @conseil');
    const m = await meeting(1);
    expect(m).toMatchObject({ title: 'Commission travaux', durationMin: 90, place: 'salle du conseil', status: 'SCHEDULED', sequence: 0 });
    expect(m.startsAt.toISOString()).toBe('2026-12-03T17:30:00.000Z');
    expect(m.createdById).toBe(h.demo.members.maire);
    // The council (mayor, deputy, councillor), not the agent nor the citizen; the convener says Yes.
    expect(await answers(1)).toEqual({ maire: 'YES', adjoint: 'PENDING', conseillere: 'PENDING' });
    expect(m.reminders.map((r) => [r.kind, r.offsetMinutes, r.status, r.nextAt?.toISOString()])).toEqual([
      ['MEETING', 1440, 'ACTIVE', '2026-12-02T17:30:00.000Z'],
      ['MEETING', 60, 'ACTIVE', '2026-12-03T16:30:00.000Z'],
    ]);
    // Each firing waits from the app's clock, not the machine's: the 24 h one, 31 h 30 after NOW.
    const job = await h.app.queues.reminders.getJob(reminderJobId(m.reminders[0]!.id, m.reminders[0]!.nextAt!));
    expect(job?.opts.delay).toBe(m.reminders[0]!.nextAt!.getTime() - NOW.getTime());
    const audit = await h.prisma.auditEvent.findFirstOrThrow({ where: { entityId: m.id } });
    expect(audit).toMatchObject({ action: 'meeting.create', actorId: h.demo.members.maire, platform: 'CONSOLE' });

    expect(out).toContain('📅 Réunion n°1 créée : Commission travaux');
    expect(out).toContain('🕒 jeu. 3 déc. à 18:30 (1 h 30) · 📍 salle du conseil');
    expect(out).toContain('Convoqué·es (3) : Claire Martin, Marie Dupont, Paul Lefèvre');
    expect(out.match(/Claire Martin vous convoque : Commission travaux \(réunion n°1\)/g)).toHaveLength(2);
    expect(out.match(/\[1\] 👍 Oui {2}\[2\] 👎 Non {2}\[3\] 🤷 Peut-être/g)).toHaveLength(3);
  });

  it('keeps each answer from the buttons, lets it change, and audits each change', async () => {
    const yes = await h.say('adjoint', '1');
    expect(yes).toContain('✎ 📅 Réunion n°1 — Commission travaux');
    expect(yes).toContain('Votre réponse : 👍 Oui');
    expect(yes).toContain('[1] 👍 Oui'); // the buttons stay: the answer can change

    const no = await h.say('conseillere', '2');
    expect(no).toContain('Votre réponse : 👎 Non');
    expect(await answers(1)).toEqual({ maire: 'YES', adjoint: 'YES', conseillere: 'NO' });
    // "Non" keeps the meeting's reminder rows: the firing skips whoever answered Non.
    expect((await meeting(1)).reminders.every((r) => r.status === 'ACTIVE')).toBe(true);

    expect(await h.say('conseillere', '3')).toContain('Votre réponse : 🤷 Peut-être');
    expect(await h.say('conseillere', '3')).toContain('Votre réponse : 🤷 Peut-être');
    expect(await answers(1)).toEqual({ maire: 'YES', adjoint: 'YES', conseillere: 'MAYBE' });
    expect(await audits(1)).toEqual(['meeting.create', 'meeting.rsvp', 'meeting.rsvp', 'meeting.rsvp']);
    const last = await h.prisma.auditEvent.findFirstOrThrow({ where: { action: 'meeting.rsvp' }, orderBy: { id: 'desc' } });
    expect(last).toMatchObject({ actorId: h.demo.members.conseillere, before: { rsvp: 'NO' }, after: { rsvp: 'MAYBE' } });

    // Someone not invited cannot answer.
    expect(await h.say('agent', '1')).toContain('Vous n’êtes pas convoqué·e à la réunion n°1.');
    expect(await answers(1)).not.toHaveProperty('agent');
  });

  it('shows a meeting with everyone’s answer and, privately, its .ics link', async () => {
    const out = await h.say('adjoint', '/reunion 1');
    expect(out).toContain('📅 Réunion n°1 — Commission travaux');
    expect(out).toContain('Convoquée par Claire Martin.');
    expect(out).toContain('👍 2 · 👎 0 · 🤷 1 · ⏳ 0');
    expect(out).toContain('• Marie Dupont — 🤷 Peut-être');
    const token = (await h.prisma.member.findUniqueOrThrow({ where: { id: h.demo.members.adjoint } })).calendarToken;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(out).toContain(`/ical/${token}/1.ics`);
    expect(await h.say('adjoint', '/reunion 99')).toContain('Il n’y a pas de réunion n°99.');
  });

  it('lists my meetings in the agenda beside my tasks, with my answer', async () => {
    const out = await h.say('conseillere', '/agenda');
    expect(out).toContain('🗓️ Mon agenda — 7 prochains jours');
    expect(out).toContain('📅 Réunions');
    expect(out).toContain('• jeu. 3 déc. à 18:30 — n°1 Commission travaux (salle du conseil) — 🤷 Peut-être');
    const agent = await h.say('agent', '/agenda');
    expect(agent).not.toContain('Commission travaux');
    expect(agent).toContain('#2 Relancer le devis'); // the tasks half is still there
  });

  it('posts to the bound council room, with buttons that show the room the counts', async () => {
    expect(await h.say('maire', '/salon conseil', { room: 'conseil' })).toContain('conseil');
    const out = await h.say('adjoint', '/reunion Point voirie vendredi 9h30 45min en mairie @Sophie');
    const m = await meeting(2);
    expect(m).toMatchObject({ title: 'Point voirie', durationMin: 45, place: 'mairie' });
    expect(await answers(2)).toEqual({ adjoint: 'YES', agent: 'PENDING' });
    expect(out).toContain('[conseil] 📅 Réunion n°2 — Point voirie\nConvoquée par Paul Lefèvre.');
    expect(out).toContain('Paul Lefèvre vous convoque : Point voirie');
    // Sophie answers from the room: the room message shows the counts, not "your answer".
    const press = await h.say('agent', '1', { room: 'conseil' });
    expect(press).toContain('[conseil] ✎ 📅 Réunion n°2 — Point voirie');
    expect(press).toContain('👍 2 · 👎 0 · 🤷 0 · ⏳ 0');
    expect(await answers(2)).toEqual({ adjoint: 'YES', agent: 'YES' });

    // Typed in the council room itself: one message there, not two.
    const here = await h.say('maire', '/reunion Fêtes de fin d’année lundi 20h @conseil', { room: 'conseil' });
    expect(here.match(/\[conseil\]/g)).toHaveLength(1);
    expect(here).toContain('[conseil] 📅 Réunion n°3 créée : Fêtes de fin d’année');
  });

  it('moves a meeting (convener, mayor or deputy): new time, SEQUENCE + 1, answers asked again, reminders moved, attendees told', async () => {
    expect(await h.say('conseillere', '/reunion deplacer 1 vendredi')).toContain('Votre rôle ne permet pas cette action.');
    const out = await h.say('adjoint', '/reunion deplacer 1 vendredi');
    const m = await meeting(1);
    // Only a day given: the meeting keeps its time of day.
    expect(m.startsAt.toISOString()).toBe('2026-12-04T17:30:00.000Z');
    expect(m.sequence).toBe(1);
    expect(await answers(1)).toEqual({ maire: 'PENDING', adjoint: 'YES', conseillere: 'PENDING' });
    expect(m.reminders.map((r) => r.nextAt?.toISOString())).toEqual(['2026-12-03T17:30:00.000Z', '2026-12-04T16:30:00.000Z']);
    expect(out).toContain('🔁 Réunion n°1 déplacée : Commission travaux');
    expect(out).toContain('🔁 Paul Lefèvre déplace la réunion n°1 : Commission travaux');
    expect(out).toContain('[conseil] 🔁 Réunion n°1 déplacée');
    expect(out).toContain('🕒 ven. 4 déc. à 18:30 (1 h 30)');
    expect(await audits(1)).toContain('meeting.move');

    expect(await h.say('adjoint', '/reunion deplacer 1 hier 18h')).toContain('Cette date est déjà passée.');
    expect(await h.say('adjoint', '/reunion deplacer 1 n’importe quand')).toContain('Je ne comprends pas la date');
  });

  it('cancels a meeting: STATUS cancelled, SEQUENCE + 1, reminders cancelled, attendees told, no more answers', async () => {
    const out = await h.say('maire', '/reunion annuler 1');
    const m = await meeting(1);
    expect(m.status).toBe('CANCELLED');
    expect(m.sequence).toBe(2);
    expect(m.reminders.map((r) => [r.status, r.nextAt])).toEqual([
      ['CANCELLED', null],
      ['CANCELLED', null],
    ]);
    expect(out).toContain('❌ Réunion n°1 annulée : Commission travaux (ven. 4 déc. à 18:30)');
    expect(out.match(/❌ Claire Martin annule la réunion n°1 : Commission travaux, prévue ven\. 4 déc\. à 18:30\./g)).toHaveLength(2);
    expect(out).toContain('[conseil] ❌ Réunion n°1 annulée');
    expect(await audits(1)).toEqual(['meeting.create', 'meeting.rsvp', 'meeting.rsvp', 'meeting.rsvp', 'meeting.move', 'meeting.cancel']);
    expect(await h.say('maire', '/reunion annuler 1')).toContain('La réunion n°1 est annulée.');
    expect(await h.say('maire', '/reunion 1')).toContain('❌ Annulée.');
    expect(await h.say('conseillere', '/agenda')).not.toContain('Commission travaux');
  });

  it('answers bad input with what was wrong and an example', async () => {
    const noDate = await h.say('maire', '/reunion Commission des finances');
    expect(noDate).toContain('Je ne trouve pas de date dans « Commission des finances ».');
    expect(noDate).toContain('Exemple : /reunion <titre> <quand>');
    expect(await h.say('maire', '/reunion')).toContain('Il manque le titre de la réunion');
    expect(await h.say('maire', '/reunion Bilan hier 18h')).toContain('Cette date est déjà passée.');
    expect(await h.say('maire', '/reunion Bilan jeudi 18h @Zorglub')).toContain('Je ne trouve personne qui s’appelle « @Zorglub »');
    expect(await h.say('maire', '/reunion Bilan jeudi 18h 30h')).toContain('La durée doit aller de 5 minutes à 24 heures');
    expect(await h.say('maire', '/reunion annuler')).toContain('Il faut le numéro de la réunion.');
    expect(await h.say('citoyen', '/reunion Bilan jeudi 18h')).toContain('Votre rôle ne permet pas cette action.');
    expect(await h.prisma.meeting.count()).toBe(3);
  });

  it('speaks English to an English member, who gets the council invitation in English', async () => {
    await h.say('adjoint', '/language en');
    const out = await h.say('maire', '/meeting Works committee thursday 6:30pm 1h30 council room @council');
    expect(out).toContain('📅 Réunion n°4 créée : Works committee');
    expect(out).toContain('📅 Claire Martin invites you: Works committee (meeting no. 4)');
    expect(out).toContain('🕒 Thu 3 Dec at 18:30 (1 h 30 min) · 📍 council room');
    expect(out).toContain('Will you come?');
    expect(await h.say('adjoint', '/meeting cancel 4')).toContain('❌ Meeting no. 4 cancelled: Works committee');
    await h.say('adjoint', '/langue fr');
  });
});
