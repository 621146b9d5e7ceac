import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

// Tuesday 1 December 2026, 10:00 in Paris (UTC+1).
const NOW = new Date('2026-12-01T09:00:00Z');

describe('date polls through the console and the real queues', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('polls', { clock: () => NOW, now: NOW });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const poll = (number: number) =>
    h.prisma.datePoll.findUniqueOrThrow({
      where: { communeId_number: { communeId: h.demo.communeId, number } },
      include: { slots: { orderBy: { position: 'asc' }, include: { votes: true } } },
    });
  const yesBy = async (number: number) =>
    (await poll(number)).slots.map((s) =>
      s.votes
        .filter((v) => v.answer === 'YES')
        .map((v) => Object.entries(h.demo.members).find(([, id]) => id === v.memberId)?.[0])
        .sort(),
    );

  it('creates a poll with its slots read in the commune zone, audited, and sends it to the council with one button per slot', async () => {
    const out = await h.say('maire', '/sondage Réunion budget ; mardi 18h ; jeudi 18h ; samedi 10h');
    const p = await poll(1);
    expect(p).toMatchObject({ title: 'Réunion budget', status: 'OPEN', authorId: h.demo.members.maire });
    expect(p.slots.map((s) => [s.position, s.label, s.startsAt.toISOString()])).toEqual([
      [1, 'mardi 18h', '2026-12-01T17:00:00.000Z'],
      [2, 'jeudi 18h', '2026-12-03T17:00:00.000Z'],
      [3, 'samedi 10h', '2026-12-05T09:00:00.000Z'],
    ]);
    const audit = await h.prisma.auditEvent.findFirstOrThrow({ where: { entityId: p.id } });
    expect(audit).toMatchObject({ action: 'poll.create', actorId: h.demo.members.maire });

    expect(out).toContain('🗳️ Sondage n°1 : Réunion budget');
    expect(out).toContain('2️⃣ jeu. 3 déc. à 18:00 — 0 👍');
    expect(out).toContain("[1] 1️⃣ aujourd'hui à 18:00  [2] 2️⃣ jeu. 3 déc. à 18:00  [3] 3️⃣ sam. 5 déc. à 10:00");
    // No council room bound: the deputy and the councillor get it privately; the agent does not.
    expect(out.match(/🗳️ Claire Martin propose des dates — sondage n°1 : Réunion budget/g)).toHaveLength(2);
  });

  it('takes votes from the buttons; pressing again takes the vote back; each vote is audited', async () => {
    const first = await h.say('adjoint', '2');
    expect(first).toContain('✎ 🗳️ Sondage n°1 : Réunion budget');
    expect(first).toContain('2️⃣ jeu. 3 déc. à 18:00 — 1 👍');
    await h.say('conseillere', '2');
    await h.say('conseillere', '3');
    await h.say('adjoint', '3');
    expect(await yesBy(1)).toEqual([[], ['adjoint', 'conseillere'], ['adjoint', 'conseillere']]);
    // The deputy changes his mind about Saturday.
    const back = await h.say('adjoint', '3');
    expect(back).toContain('3️⃣ sam. 5 déc. à 10:00 — 1 👍');
    expect(await yesBy(1)).toEqual([[], ['adjoint', 'conseillere'], ['conseillere']]);
    // Agents vote too (they attend meetings); citizens do not.
    await h.say('agent', '3');
    expect(await h.say('citoyen', '1')).toContain('Votre rôle ne permet pas cette action.');
    expect(await yesBy(1)).toEqual([[], ['adjoint', 'conseillere'], ['agent', 'conseillere']]);

    const votes = await h.prisma.auditEvent.findMany({ where: { action: 'poll.vote' }, orderBy: { id: 'asc' } });
    expect(votes).toHaveLength(6);
    expect(votes[4]).toMatchObject({ actorId: h.demo.members.adjoint, before: { slot: 3, answer: 'YES' }, after: { slot: 3, answer: null } });
  });

  it('shows the tally to the author (and the mayor), not to others', async () => {
    const out = await h.say('maire', '/sondage resultats 1');
    expect(out).toContain('📊 Sondage n°1 — Réunion budget (3 votant·es)');
    expect(out).toContain('2️⃣ jeu. 3 déc. à 18:00 — 👍 2 (Paul Lefèvre, Marie Dupont)');
    expect(out).toContain('3️⃣ sam. 5 déc. à 10:00 — 👍 2 (Marie Dupont, Sophie Bernard)');
    // A tie goes to the earliest slot.
    expect(out).toContain('⭐ En tête : jeu. 3 déc. à 18:00');
    expect(out).toContain('/sondage clore 1');
    expect(await h.say('conseillere', '/sondage resultats 1')).toContain('Votre rôle ne permet pas cette action.');
  });

  it('closes the poll (author): the best slot becomes a meeting with the voters, announced like a meeting', async () => {
    expect(await h.say('conseillere', '/sondage clore 1')).toContain('Votre rôle ne permet pas cette action.');
    const out = await h.say('maire', '/sondage clore 1 2h salle du conseil');
    const p = await poll(1);
    expect(p.status).toBe('CLOSED');
    expect(p.closedAt?.toISOString()).toBe(NOW.toISOString());
    const m = await h.prisma.meeting.findUniqueOrThrow({ where: { id: p.meetingId! }, include: { attendees: true, reminders: true } });
    expect(m).toMatchObject({ number: 1, title: 'Réunion budget', durationMin: 120, place: 'salle du conseil', createdById: h.demo.members.maire });
    expect(m.startsAt.toISOString()).toBe('2026-12-03T17:00:00.000Z');
    const rsvp = Object.fromEntries(m.attendees.map((a) => [Object.entries(h.demo.members).find(([, id]) => id === a.memberId)![0], a.rsvp]));
    // Every voter (and the author); those who chose Thursday already said Yes.
    expect(rsvp).toEqual({ maire: 'YES', adjoint: 'YES', conseillere: 'YES', agent: 'PENDING' });
    expect(m.reminders.map((r) => r.offsetMinutes).sort((a, b) => a! - b!)).toEqual([60, 1440]);

    expect(out).toContain('🔒 Sondage n°1 clos : jeu. 3 déc. à 18:00 retenu (2 👍).');
    expect(out).toContain('📅 Réunion n°1 créée : Réunion budget');
    expect(out.match(/Claire Martin vous convoque : Réunion budget/g)).toHaveLength(3);
    const actions = (await h.prisma.auditEvent.findMany({ where: { entityId: { in: [p.id, m.id] } }, orderBy: { id: 'asc' } })).map((a) => a.action);
    expect(actions.slice(-2)).toEqual(['meeting.create', 'poll.close']);

    // A closed poll takes no more votes and cannot be closed twice.
    expect(await h.say('maire', '/sondage clore 1')).toContain('Le sondage n°1 est clos.');
    const shown = await h.say('maire', '/sondage 1');
    expect(shown).toContain('🔒 Sondage clos.');
  });

  it('refuses to close a poll nobody voted in, and sends to the council room when one is bound', async () => {
    await h.say('maire', '/salon conseil', { room: 'conseil' });
    const out = await h.say('conseillere', '/sondage Fête du village ; samedi 14h ; dimanche 14h');
    expect(out).toContain('[conseil] 🗳️ Marie Dupont propose des dates — sondage n°2 : Fête du village');
    // The room, not each councillor privately.
    expect(out.match(/propose des dates/g)).toHaveLength(1);
    expect(await h.say('conseillere', '/sondage clore 2')).toContain('Personne n’a encore voté au sondage n°2');
    // Votes from the room.
    await h.say('adjoint', '2', { room: 'conseil' });
    expect(await yesBy(2)).toEqual([[], ['adjoint']]);
    const closed = await h.say('conseillere', '/sondage clore 2');
    expect(closed).toContain('🔒 Sondage n°2 clos : dim. 6 déc. à 14:00 retenu (1 👍).');
    expect(closed).toContain('[conseil] 📅 Réunion n°2 — Fête du village');
    // The last message with buttons in the room is now the meeting's: its 👍 answers it.
    expect(await h.say('adjoint', '1', { room: 'conseil' })).toContain('[conseil] ✎ 📅 Réunion n°2 — Fête du village');
  });

  it('answers bad input by naming what was wrong', async () => {
    const bad = await h.say('maire', '/sondage Réunion ; bof ; jeudi 18h');
    expect(bad).toContain('Je ne comprends pas le créneau « bof ».');
    expect(bad).toContain('Exemple : /sondage <titre> ; <créneau>');
    expect(await h.say('maire', '/sondage Réunion ; jeudi 18h')).toContain('Proposez de 2 à 6 créneaux');
    expect(await h.say('maire', '/sondage Réunion ; lundi ; mardi ; mercredi ; jeudi ; vendredi ; samedi ; dimanche')).toContain('Proposez de 2 à 6 créneaux');
    expect(await h.say('maire', '/sondage ; jeudi 18h ; vendredi 18h')).toContain('Il manque le titre du sondage.');
    expect(await h.say('maire', '/sondage Réunion ; jeudi 18h ; jeudi à 18h')).toContain('Le créneau « jeudi à 18h » est proposé deux fois.');
    expect(await h.say('maire', '/sondage Réunion ; hier 18h ; jeudi 18h')).toContain('Le créneau « hier 18h » est déjà passé.');
    expect(await h.say('maire', '/sondage resultats')).toContain('Il faut le numéro du sondage.');
    expect(await h.say('maire', '/sondage resultats 42')).toContain('Il n’y a pas de sondage n°42.');
    expect(await h.say('agent', '/sondage Réunion ; jeudi 18h ; vendredi 18h')).toContain('Votre rôle ne permet pas cette action.');
    expect(await h.prisma.datePoll.count()).toBe(2);
  });

  it('works in English', async () => {
    await h.say('maire', '/language en');
    const out = await h.say('maire', '/poll Budget meeting ; tuesday 6pm ; thursday 6pm', { room: 'conseil' });
    expect(out).toContain('🗳️ Poll no. 3: Budget meeting');
    expect(out).toContain('Press the slots that suit you');
    expect(out).toContain('[1] 1️⃣ today at 18:00  [2] 2️⃣ Thu 3 Dec at 18:00');
    await h.say('maire', '2', { room: 'conseil' });
    expect(await h.say('maire', '/poll results 3')).toContain('2️⃣ Thu 3 Dec at 18:00 — 👍 1 (Claire Martin)');
    await h.say('maire', '/langue fr');
  });
});
