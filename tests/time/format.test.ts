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

  it('formatDateTime always gives the full date', () => {
    expect(formatDateTime(new Date('2026-12-04T16:00:00.000Z'), 'Europe/Paris', 'fr')).toBe('ven. 4 déc. 2026 17:00');
    expect(formatDateTime(new Date('2026-12-04T16:00:00.000Z'), 'Europe/Paris', 'en')).toBe('Fri 4 Dec 2026 17:00');
  });
});
