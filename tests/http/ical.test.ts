import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

// Tuesday 1 December 2026, 10:00 in Paris (UTC+1).
const NOW = new Date('2026-12-01T09:00:00Z');

describe('private iCal feeds over the real HTTP server', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await startHarness('ical', { clock: () => NOW, now: NOW, env: { PUBLIC_URL: 'https://pilote.saint-pilote.fr' } });
    base = `http://127.0.0.1:${h.app.httpPort}`;
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** The path of the feed URL a member was sent (`/ical/<token>.ics`). */
  const linkOf = (out: string) => /https:\/\/pilote\.saint-pilote\.fr(\/ical\/[A-Za-z0-9_-]{43}\.ics)/.exec(out)?.[1];

  it('sends the feed URL privately (PUBLIC_URL) and serves the member’s meetings as text/calendar', async () => {
    await h.say('maire', '/reunion Commission travaux jeudi 18h30 1h30 salle du conseil @conseil');
    await h.say('maire', '/reunion Réunion de chantier vendredi 9h @Sophie');
    await h.say('maire', '/salon conseil', { room: 'conseil' });

    // Asked in the room: the link goes to the direct chat, the room only hears that it was sent.
    const out = await h.say('conseillere', '/agenda lien', { room: 'conseil' });
    expect(out).toContain('[conseil] 🔗 Je vous ai envoyé le lien de votre agenda en privé.');
    expect(out).not.toMatch(/\[conseil\][^\n]*\/ical\//);
    const path = linkOf(out);
    expect(path).toBeDefined();
    const member = await h.prisma.member.findUniqueOrThrow({ where: { id: h.demo.members.conseillere } });
    expect(path).toBe(`/ical/${member.calendarToken}.ics`);

    const res = await fetch(`${base}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('private');
    const ics = (await res.text()).replace(/\r\n[ \t]/g, '');
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics).toContain('TZID:Europe/Paris');
    expect(ics).toContain('DTSTART;TZID=Europe/Paris:20261203T183000');
    expect(ics).toContain('SUMMARY:Commission travaux');
    // She is not invited to the site meeting.
    expect(ics).not.toContain('Réunion de chantier');

    // One meeting on its own.
    const one = await fetch(`${base}/ical/${member.calendarToken}/1.ics`);
    expect(one.status).toBe(200);
    expect(await one.text()).toContain('SUMMARY:Commission travaux');
    expect((await fetch(`${base}/ical/${member.calendarToken}/2.ics`)).status).toBe(404);
  });

  it('answers 404 for an unknown, malformed or revoked token, and follows cancellations', async () => {
    expect((await fetch(`${base}/ical/${'x'.repeat(43)}.ics`)).status).toBe(404);
    expect((await fetch(`${base}/ical/nope.ics`)).status).toBe(404);
    expect((await fetch(`${base}/ical/`)).status).toBe(404);
    expect((await fetch(`${base}/ical/..%2F..%2Fetc%2Fpasswd.ics`)).status).toBe(404);

    const old = (await h.prisma.member.findUniqueOrThrow({ where: { id: h.demo.members.conseillere } })).calendarToken!;
    const out = await h.say('conseillere', '/agenda lien nouveau');
    expect(out).toContain('🔄 Nouveau lien créé ; l’ancien ne marche plus.');
    const path = linkOf(out)!;
    expect(path).not.toContain(old);
    expect((await fetch(`${base}/ical/${old}.ics`)).status).toBe(404);

    await h.say('maire', '/reunion annuler 1');
    const ics = await (await fetch(`${base}${path}`)).text();
    expect(ics).toContain('STATUS:CANCELLED');
    expect(ics).toContain('SEQUENCE:1');
  });

  it('has no feed for a citizen', async () => {
    expect(await h.say('citoyen', '/agenda lien')).toContain('Votre rôle ne permet pas cette action.');
  });
});
