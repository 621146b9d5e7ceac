import { describe, expect, it } from 'vitest';
import { formatDateTime, formatWhen } from '../../src/time/index.js';

// Monday 30 November 2026, 10:00 in Paris.
const NOW = new Date('2026-11-30T09:00:00.000Z');

describe('formatWhen', () => {
  it.each([
    ['2026-11-30T17:00:00.000Z', "aujourd'hui 18:00", 'today 18:00'],
    ['2026-12-01T08:00:00.000Z', 'demain 09:00', 'tomorrow 09:00'],
    ['2026-11-29T17:00:00.000Z', 'hier 18:00', 'yesterday 18:00'],
    ['2026-12-04T16:00:00.000Z', 'ven. 4 déc. 17:00', 'Fri 4 Dec 17:00'],
    ['2027-02-01T08:00:00.000Z', 'lun. 1 févr. 2027 09:00', 'Mon 1 Feb 2027 09:00'],
  ])('%s', (iso, fr, en) => {
    expect(formatWhen(new Date(iso), 'Europe/Paris', 'fr', NOW)).toBe(fr);
    expect(formatWhen(new Date(iso), 'Europe/Paris', 'en', NOW)).toBe(en);
  });

  it('renders in the zone, not in UTC', () => {
    // 22:00Z on 30 November is 09:00 on 1 December in Nouméa.
    expect(formatWhen(new Date('2026-11-30T22:00:00.000Z'), 'Pacific/Noumea', 'fr', NOW)).toBe('demain 09:00');
    expect(formatWhen(new Date('2026-12-01T12:00:00.000Z'), 'America/Cayenne', 'en', NOW)).toBe('tomorrow 09:00');
  });

  it('counts calendar days across a month, a year and a change of clocks', () => {
    const paris = (iso: string, now: string) => formatWhen(new Date(iso), 'Europe/Paris', 'fr', new Date(now));
    // 31 December 23:30 → 1 January 00:30 (Paris): tomorrow, though an hour away.
    expect(paris('2026-12-31T23:30:00.000Z', '2026-12-31T22:30:00.000Z')).toBe('demain 00:30');
    expect(paris('2026-12-31T22:30:00.000Z', '2026-12-31T23:30:00.000Z')).toBe('hier 23:30');
    // Spring forward on 28 March 2027 (02:00 → 03:00): Saturday 23:00 to Sunday 03:30 is tomorrow.
    expect(paris('2027-03-28T01:30:00.000Z', '2027-03-27T22:00:00.000Z')).toBe('demain 03:30');
    // Fall back on 31 October 2027: a day of 25 hours is still one day.
    expect(paris('2027-10-31T23:30:00.000Z', '2027-10-30T20:30:00.000Z')).toBe('lun. 1 nov. 00:30');
    expect(paris('2027-10-31T22:30:00.000Z', '2027-10-30T20:30:00.000Z')).toBe('demain 23:30');
  });

  it('formatDateTime always gives the full date', () => {
    expect(formatDateTime(new Date('2026-12-04T16:00:00.000Z'), 'Europe/Paris', 'fr')).toBe('ven. 4 déc. 2026 17:00');
    expect(formatDateTime(new Date('2026-12-04T16:00:00.000Z'), 'Europe/Paris', 'en')).toBe('Fri 4 Dec 2026 17:00');
  });
});
