import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, UserError } from '../../src/core/errors.js';
import type { PrismaClient, Tx } from '../../src/db/client.js';
import { seedDemo, type DemoCommune, type DemoUser } from '../../src/db/seed.js';
import {
  calendarFeed,
  calendarToken,
  cancelMeeting,
  createMeeting,
  listUpcomingMeetings,
  meetingByNumber,
  meetingIcs,
  meetingUid,
  memberMeetingIcs,
  moveMeeting,
  rsvp,
} from '../../src/domain/meetings.js';
import type { Actor } from '../../src/domain/permissions.js';
import { closePoll, createPoll, pollByNumber, tally, vote } from '../../src/domain/polls.js';
import type { Role } from '../../src/generated/prisma/enums.js';
import { testDatabase, type TestDatabase } from '../helpers/db.js';
import { transaction } from '../../src/db/sql.js';

// Tuesday 1 December 2026, 10:00 in Paris.
const NOW = new Date('2026-12-01T09:00:00Z');
const HOUR = 3600_000;

/** The content lines of an iCalendar text: unfolded (RFC 5545 3.1), CRLF-separated. */
function icsLines(ics: string): string[] {
  expect(ics.endsWith('END:VCALENDAR')).toBe(true);
  expect(ics.split('\r\n').every((l) => Buffer.byteLength(l) <= 75)).toBe(true);
  return ics.replace(/\r\n[ \t]/g, '').split('\r\n');
}

/** The lines of the one block `BEGIN:<name>` … `END:<name>` (the first one with `has`, if given). */
function block(lines: string[], name: string, has?: string): string[] {
  let from = -1;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === `BEGIN:${name}`) from = i;
    if (lines[i] === `END:${name}` && from >= 0) {
      const b = lines.slice(from, i + 1);
      if (!has || b.includes(has)) return b;
      from = -1;
    }
  }
  throw new Error(`no ${name} block${has ? ` with ${has}` : ''}`);
}

describe('meetings domain and iCalendar', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let demo: DemoCommune;
  let noumea: { communeId: string; mayorId: string };
  let cayenne: { communeId: string; mayorId: string };
  const actor = (user: DemoUser, role: Role): Actor => ({ memberId: demo.members[user], communeId: demo.communeId, role, platform: 'CONSOLE' });
  const tx = <T>(fn: (db: Tx) => Promise<T>) => transaction(prisma, fn);

  async function overseas(name: string, insee: string, timezone: string) {
    const commune = await prisma.commune.create({ data: { name, insee, timezone } });
    const mayor = await prisma.member.create({ data: { communeId: commune.id, role: 'MAYOR', displayName: `Maire de ${name}`, searchName: 'maire' } });
    return { communeId: commune.id, mayorId: mayor.id };
  }

  beforeAll(async () => {
    db = await testDatabase('domain-meetings');
    prisma = db.prisma;
    demo = await seedDemo(prisma, { now: NOW });
    noumea = await overseas('Nouméa', '98818', 'Pacific/Noumea');
    cayenne = await overseas('Cayenne', '97302', 'America/Cayenne');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('renders a meeting as an .ics: VTIMEZONE for Europe/Paris, DTSTART with TZID, stable UID; SEQUENCE and STATUS follow moves and cancellation', async () => {
    const mayor = actor('maire', 'MAYOR');
    const { meeting } = await tx((t) =>
      createMeeting(t, mayor, { title: 'Commission travaux; voirie, réseaux', startsAt: new Date('2026-12-03T17:30:00Z'), durationMin: 90, place: 'salle du conseil', attendees: 'council' }, NOW),
    );
    const first = icsLines(meetingIcs(meeting, 'Europe/Paris'));
    expect(first[0]).toBe('BEGIN:VCALENDAR');
    expect(first).toContain('VERSION:2.0');
    const tz = block(first, 'VTIMEZONE');
    expect(tz).toContain('TZID:Europe/Paris');
    expect(block(tz, 'DAYLIGHT')).toEqual(expect.arrayContaining(['TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU']));
    expect(block(tz, 'STANDARD')).toEqual(expect.arrayContaining(['TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU']));
    const ev = block(first, 'VEVENT');
    expect(ev).toEqual(
      expect.arrayContaining([
        `UID:${meetingUid(meeting)}`,
        'SEQUENCE:0',
        'DTSTART;TZID=Europe/Paris:20261203T183000',
        'DTEND;TZID=Europe/Paris:20261203T200000',
        'SUMMARY:Commission travaux\\; voirie\\, réseaux',
        'LOCATION:salle du conseil',
        'STATUS:CONFIRMED',
      ]),
    );
    // DTSTAMP is UTC, as RFC 5545 requires.
    expect(ev.find((l) => l.startsWith('DTSTAMP:'))).toMatch(/^DTSTAMP:\d{8}T\d{6}Z$/);

    // Moved to a summer evening: local wall-clock time with the same TZID, DST handled by the VTIMEZONE.
    const moved = await tx(async (t) => (await moveMeeting(t, mayor, await meetingByNumber(t, mayor, meeting.number), new Date('2027-06-10T16:30:00Z'), NOW)).meeting);
    const second = block(icsLines(meetingIcs(moved, 'Europe/Paris')), 'VEVENT');
    expect(second).toEqual(expect.arrayContaining([`UID:${meetingUid(meeting)}`, 'SEQUENCE:1', 'DTSTART;TZID=Europe/Paris:20270610T183000', 'STATUS:CONFIRMED']));

    const cancelled = await tx(async (t) => (await cancelMeeting(t, mayor, await meetingByNumber(t, mayor, meeting.number), NOW)).meeting);
    const third = block(icsLines(meetingIcs(cancelled, 'Europe/Paris')), 'VEVENT');
    expect(third).toEqual(expect.arrayContaining([`UID:${meetingUid(meeting)}`, 'SEQUENCE:2', 'STATUS:CANCELLED']));
    const actions = (await prisma.auditEvent.findMany({ where: { entityId: meeting.id }, orderBy: { id: 'asc' } })).map((a) => a.action);
    expect(actions).toEqual(['meeting.create', 'meeting.move', 'meeting.cancel']);
  });

  it('keeps overseas meetings in their own zone: Nouméa (UTC+11, no DST) and Cayenne (UTC−3)', async () => {
    const mayor: Actor = { memberId: noumea.mayorId, communeId: noumea.communeId, role: 'MAYOR', platform: 'CONSOLE' };
    // 18:00 in Nouméa on 3 December is 07:00 UTC.
    const { meeting, reminderIds } = await tx((t) => createMeeting(t, mayor, { title: 'Conseil', startsAt: new Date('2026-12-03T07:00:00Z'), attendees: 'council' }, NOW));
    expect(meeting.number).toBe(1); // numbers are per commune
    const lines = icsLines(meetingIcs(meeting, 'Pacific/Noumea'));
    const tz = block(lines, 'VTIMEZONE');
    expect(tz).toContain('TZID:Pacific/Noumea');
    expect(block(tz, 'STANDARD')).toContain('TZOFFSETTO:+1100');
    expect(() => block(tz, 'DAYLIGHT')).toThrow();
    expect(block(lines, 'VEVENT')).toEqual(expect.arrayContaining(['DTSTART;TZID=Pacific/Noumea:20261203T180000', 'DTEND;TZID=Pacific/Noumea:20261203T190000']));
    // Its reminders: 24 h and 1 h before, in the commune's zone.
    const reminders = await prisma.reminder.findMany({ where: { id: { in: reminderIds } }, orderBy: { offsetMinutes: 'desc' } });
    expect(reminders.map((r) => [r.offsetMinutes, r.nextAt?.toISOString(), r.timezone])).toEqual([
      [1440, '2026-12-02T07:00:00.000Z', 'Pacific/Noumea'],
      [60, '2026-12-03T06:00:00.000Z', 'Pacific/Noumea'],
    ]);

    const guyane: Actor = { memberId: cayenne.mayorId, communeId: cayenne.communeId, role: 'MAYOR', platform: 'CONSOLE' };
    const other = await tx((t) => createMeeting(t, guyane, { title: 'Commission', startsAt: new Date('2026-12-03T21:00:00Z'), attendees: [] }, NOW));
    const cay = icsLines(meetingIcs(other.meeting, 'America/Cayenne'));
    expect(block(cay, 'VTIMEZONE')).toEqual(expect.arrayContaining(['TZID:America/Cayenne', 'TZOFFSETTO:-0300']));
    expect(block(cay, 'VEVENT')).toContain('DTSTART;TZID=America/Cayenne:20261203T180000');
  });

  it('convenes the council or named members, keeps answers for attendees only, and lets only the convener, mayor or deputy change it', async () => {
    const councillor = actor('conseillere', 'COUNCILLOR');
    const { meeting } = await tx((t) =>
      createMeeting(t, councillor, { title: 'Fleurissement', startsAt: new Date('2026-12-04T16:00:00Z'), attendees: [demo.members.agent] }, NOW),
    );
    expect(meeting.attendees.map((a) => [a.member.displayName, a.rsvp])).toEqual([
      ['Marie Dupont', 'YES'],
      ['Sophie Bernard', 'PENDING'],
    ]);
    const r = await tx((t) => rsvp(t, actor('agent', 'AGENT'), meeting.id, 'NO', NOW));
    expect(r).toMatchObject({ previous: 'PENDING', answer: 'NO', changed: true });
    await expect(tx((t) => rsvp(t, actor('adjoint', 'DEPUTY'), meeting.id, 'YES', NOW))).rejects.toMatchObject({ key: 'meetings.notInvited' });
    // The agent did not convene it: no moving. The deputy may.
    await expect(tx(async (t) => moveMeeting(t, actor('agent', 'AGENT'), await meetingByNumber(t, actor('agent', 'AGENT'), meeting.number), new Date('2026-12-05T16:00:00Z'), NOW))).rejects.toBeInstanceOf(ForbiddenError);
    await tx(async (t) => moveMeeting(t, actor('adjoint', 'DEPUTY'), await meetingByNumber(t, actor('adjoint', 'DEPUTY'), meeting.number), new Date('2026-12-05T16:00:00Z'), NOW, 30));
    const after = await prisma.meeting.findUniqueOrThrow({ where: { id: meeting.id }, include: { attendees: true } });
    expect(after).toMatchObject({ durationMin: 30, sequence: 1 });
    expect(after.attendees.every((a) => a.rsvp === 'PENDING' || a.memberId === demo.members.adjoint)).toBe(true);

    await expect(tx((t) => createMeeting(t, councillor, { title: 'Passé', startsAt: new Date(NOW.getTime() - HOUR), attendees: [] }, NOW))).rejects.toMatchObject({ key: 'meetings.past' });
    await expect(tx((t) => createMeeting(t, councillor, { title: ' ', startsAt: new Date(NOW.getTime() + HOUR), attendees: [] }, NOW))).rejects.toMatchObject({ key: 'meetings.noTitle' });
    await expect(tx((t) => createMeeting(t, councillor, { title: 'X', startsAt: new Date(NOW.getTime() + HOUR), attendees: [noumea.mayorId] }, NOW))).rejects.toMatchObject({ key: 'meetings.attendeeUnknown' });
    await expect(tx((t) => createMeeting(t, actor('citoyen', 'CITIZEN'), { title: 'X', startsAt: new Date(NOW.getTime() + HOUR), attendees: [] }, NOW))).rejects.toBeInstanceOf(UserError);

    // The agent's upcoming meetings: this one (she answered No before the move: asked again).
    const upcoming = await tx((t) => listUpcomingMeetings(t, demo.members.agent, NOW, new Date(NOW.getTime() + 7 * 24 * HOUR)));
    expect(upcoming.map((m) => [m.title, m.rsvp])).toEqual([['Fleurissement', 'PENDING']]);
  });

  it('serves a member’s private feed by token: their meetings (cancelled ones marked), nothing for an unknown or revoked token', async () => {
    const councillor = actor('conseillere', 'COUNCILLOR');
    const token = await tx((t) => calendarToken(t, councillor));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await tx((t) => calendarToken(t, councillor))).toBe(token);
    const feed = await calendarFeed(prisma, token, NOW);
    const lines = icsLines(feed!);
    expect(lines).toContain('X-WR-CALNAME:Pilote — Saint-Pilote');
    const summaries = lines.filter((l) => l.startsWith('SUMMARY:'));
    // The council meeting (cancelled) and the one she convened; not Nouméa's, nor one she is not invited to.
    expect(summaries.sort()).toEqual(['SUMMARY:Commission travaux\\; voirie\\, réseaux', 'SUMMARY:Fleurissement']);
    expect(block(lines, 'VEVENT', 'SUMMARY:Commission travaux\\; voirie\\, réseaux')).toContain('STATUS:CANCELLED');
    expect(block(lines, 'VTIMEZONE')).toContain('TZID:Europe/Paris');
    expect(await memberMeetingIcs(prisma, token, 2)).toContain('SUMMARY:Fleurissement');
    expect(await memberMeetingIcs(prisma, token, 99)).toBeUndefined();

    expect(await calendarFeed(prisma, 'A'.repeat(43), NOW)).toBeUndefined();
    expect(await calendarFeed(prisma, '../etc/passwd', NOW)).toBeUndefined();
    const rotated = await tx((t) => calendarToken(t, councillor, true));
    expect(rotated).not.toBe(token);
    expect(await calendarFeed(prisma, token, NOW)).toBeUndefined();
    expect(await calendarFeed(prisma, rotated, NOW)).toContain('BEGIN:VEVENT');
    const trail = await prisma.auditEvent.findMany({ where: { entityType: 'member', entityId: demo.members.conseillere, action: { startsWith: 'calendar.' } } });
    expect(trail.map((a) => a.action)).toEqual(['calendar.create', 'calendar.rotate']);
    expect(JSON.stringify(trail.map((a) => [a.before, a.after]))).not.toContain(rotated);
  });
});

describe('date polls domain', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let demo: DemoCommune;
  const actor = (user: DemoUser, role: Role): Actor => ({ memberId: demo.members[user], communeId: demo.communeId, role, platform: 'CONSOLE' });
  const tx = <T>(fn: (db: Tx) => Promise<T>) => transaction(prisma, fn);
  const slot = (hoursFromNow: number, label: string) => ({ startsAt: new Date(NOW.getTime() + hoursFromNow * HOUR), label });

  beforeAll(async () => {
    db = await testDatabase('domain-polls');
    prisma = db.prisma;
    demo = await seedDemo(prisma, { now: NOW });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('counts votes, breaks ties to the earliest slot, and turns it into a meeting with the voters', async () => {
    const author = actor('conseillere', 'COUNCILLOR');
    const poll = await tx((t) => createPoll(t, author, 'Budget', [slot(50, 'jeudi'), slot(26, 'mercredi'), slot(74, 'vendredi')], NOW));
    expect(poll.slots.map((s) => s.position)).toEqual([1, 2, 3]);
    const cast = (user: DemoUser, role: Role, position: number, answer?: 'YES' | 'NO' | 'MAYBE') =>
      tx(async (t) => vote(t, actor(user, role), await pollByNumber(t, actor(user, role), poll.number), { position }, answer));
    await cast('maire', 'MAYOR', 1);
    await cast('adjoint', 'DEPUTY', 2);
    await cast('agent', 'AGENT', 3, 'MAYBE');
    const current = async () => tally(await tx((t) => pollByNumber(t, author, poll.number)));
    const tie = await current();
    // Thursday and Wednesday have one Yes each: Wednesday, the earliest, leads; a Maybe is not a Yes.
    expect(tie.slots.map((s) => [s.yes.length, s.maybe.length])).toEqual([[1, 0], [1, 0], [0, 1]]);
    expect(tie.best?.label).toBe('mercredi');
    // Pressing again takes the vote back, and again gives it.
    expect((await cast('maire', 'MAYOR', 1)).yes).toBe(false);
    expect((await current()).slots.map((s) => s.yes.length)).toEqual([0, 1, 0]);
    expect((await cast('maire', 'MAYOR', 1)).yes).toBe(true);
    expect((await current()).voters.map((v) => v.displayName).sort()).toEqual(['Claire Martin', 'Paul Lefèvre', 'Sophie Bernard']);

    await expect(tx(async (t) => closePoll(t, actor('adjoint', 'DEPUTY'), await pollByNumber(t, author, poll.number), NOW))).rejects.toBeInstanceOf(ForbiddenError);
    const closed = await tx(async (t) => closePoll(t, author, await pollByNumber(t, author, poll.number), NOW, { durationMin: 90, place: 'mairie' }));
    expect(closed.poll.status).toBe('CLOSED');
    expect(closed.meeting.startsAt).toEqual(slot(26, '').startsAt);
    expect(closed.meeting).toMatchObject({ title: 'Budget', durationMin: 90, place: 'mairie', createdById: demo.members.conseillere });
    expect(closed.meeting.attendees.map((a) => [a.member.displayName, a.rsvp])).toEqual([
      ['Claire Martin', 'PENDING'],
      ['Marie Dupont', 'YES'],
      ['Paul Lefèvre', 'YES'],
      ['Sophie Bernard', 'PENDING'],
    ]);
    expect(closed.reminderIds).toHaveLength(2);
    await expect(cast('maire', 'MAYOR', 1)).rejects.toMatchObject({ key: 'polls.closed' });
  });

  it('the mayor may close another’s poll; a poll without a Yes cannot be closed; slots are checked', async () => {
    const author = actor('adjoint', 'DEPUTY');
    const poll = await tx((t) => createPoll(t, author, 'Fête', [slot(30, 'a'), slot(40, 'b')], NOW));
    await expect(tx(async (t) => closePoll(t, actor('maire', 'MAYOR'), await pollByNumber(t, author, poll.number), NOW))).rejects.toMatchObject({ key: 'polls.noYes' });
    await tx(async (t) => vote(t, author, await pollByNumber(t, author, poll.number), { position: 2 }));
    const closed = await tx(async (t) => closePoll(t, actor('maire', 'MAYOR'), await pollByNumber(t, author, poll.number), NOW));
    expect(closed.meeting.createdById).toBe(demo.members.maire);
    expect(closed.meeting.attendees.map((a) => a.member.displayName).sort()).toEqual(['Claire Martin', 'Paul Lefèvre']);

    await expect(tx((t) => createPoll(t, author, 'X', [slot(30, 'a')], NOW))).rejects.toMatchObject({ key: 'polls.slotCount' });
    await expect(tx((t) => createPoll(t, author, 'X', [slot(30, 'a'), slot(30, 'b')], NOW))).rejects.toMatchObject({ key: 'polls.duplicateSlot', params: { slot: 'b' } });
    await expect(tx((t) => createPoll(t, author, 'X', [slot(-3, 'hier'), slot(30, 'b')], NOW))).rejects.toMatchObject({ key: 'polls.pastSlot', params: { slot: 'hier' } });
    await expect(tx((t) => createPoll(t, actor('agent', 'AGENT'), 'X', [slot(30, 'a'), slot(40, 'b')], NOW))).rejects.toBeInstanceOf(ForbiddenError);
  });
});
