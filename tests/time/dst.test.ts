import { describe, expect, it } from 'vitest';
import { nextOccurrence, parseRecurrence, parseWhen, wallClockToInstant, type TimeLocale } from '../../src/time/index.js';

function at(text: string, now: Date, zone: string, locale: TimeLocale = 'fr', defaultHour = 9): string | null {
  return parseWhen(text, { zone, locale, now, defaultHour })?.at.toISOString() ?? null;
}

describe('Europe/Paris spring forward (2026-03-29, 02:00 CET → 03:00 CEST)', () => {
  const saturday = new Date('2026-03-28T09:00:00.000Z'); // 10:00 CET

  it('a date parsed the day before lands on the summer-time instant', () => {
    expect(at('demain 9h', saturday, 'Europe/Paris')).toBe('2026-03-29T07:00:00.000Z');
    expect(at('tomorrow 9am', saturday, 'Europe/Paris', 'en')).toBe('2026-03-29T07:00:00.000Z');
    expect(at('demain', saturday, 'Europe/Paris', 'fr', 18)).toBe('2026-03-29T16:00:00.000Z');
    expect(at('lundi 9h', saturday, 'Europe/Paris')).toBe('2026-03-30T07:00:00.000Z');
    // Same day, before the change: still winter time.
    expect(at('ce soir 20h', saturday, 'Europe/Paris')).toBe('2026-03-28T19:00:00.000Z');
  });

  it('a time in the gap moves forward by the gap (02:30 → 03:30 CEST)', () => {
    expect(at('demain 2h30', saturday, 'Europe/Paris')).toBe('2026-03-29T01:30:00.000Z');
    expect(at('le 29 mars à 2h30', new Date('2026-03-01T12:00:00Z'), 'Europe/Paris')).toBe('2026-03-29T01:30:00.000Z');
    expect(wallClockToInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Paris')?.toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
  });

  it('relative offsets across the change are exact elapsed time', () => {
    const night = new Date('2026-03-29T00:30:00.000Z'); // 01:30 CET
    expect(at('dans 2 heures', night, 'Europe/Paris')).toBe('2026-03-29T02:30:00.000Z'); // 04:30 CEST
    expect(at('in 90 minutes', night, 'Europe/Paris', 'en')).toBe('2026-03-29T02:00:00.000Z');
  });

  it('a weekly 09:00 keeps its local hour: 08:00Z before, 07:00Z after', () => {
    const rule = 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0';
    const before = nextOccurrence(rule, 'Europe/Paris', new Date('2026-03-17T12:00:00Z'));
    expect(before?.toISOString()).toBe('2026-03-23T08:00:00.000Z');
    const after = nextOccurrence(rule, 'Europe/Paris', before!);
    expect(after?.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  it('a weekly Sunday 09:00 on the day of the change', () => {
    const rule = 'FREQ=WEEKLY;BYDAY=SU;BYHOUR=9;BYMINUTE=0';
    expect(nextOccurrence(rule, 'Europe/Paris', new Date('2026-03-22T08:00:00Z'))?.toISOString()).toBe('2026-03-29T07:00:00.000Z');
  });

  it('a daily 02:30 fires once on the change day, at 03:30 CEST', () => {
    const rule = 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30';
    const a = nextOccurrence(rule, 'Europe/Paris', new Date('2026-03-28T00:00:00Z'));
    expect(a?.toISOString()).toBe('2026-03-28T01:30:00.000Z');
    const b = nextOccurrence(rule, 'Europe/Paris', a!);
    expect(b?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    const c = nextOccurrence(rule, 'Europe/Paris', b!);
    expect(c?.toISOString()).toBe('2026-03-30T00:30:00.000Z');
  });

  it('parseRecurrence gives the right first instant across the change', () => {
    const r = parseRecurrence('tous les lundis à 9h', { zone: 'Europe/Paris', locale: 'fr', now: saturday, defaultHour: 9 });
    expect(r?.first.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });
});

describe('Europe/Paris fall back (2026-10-25, 03:00 CEST → 02:00 CET)', () => {
  const saturday = new Date('2026-10-24T08:00:00.000Z'); // 10:00 CEST

  it('a date parsed the day before lands on the winter-time instant', () => {
    expect(at('demain 9h', saturday, 'Europe/Paris')).toBe('2026-10-25T08:00:00.000Z');
    expect(at('tomorrow 9am', saturday, 'Europe/Paris', 'en')).toBe('2026-10-25T08:00:00.000Z');
    expect(at('lundi 9h', saturday, 'Europe/Paris')).toBe('2026-10-26T08:00:00.000Z');
    expect(at('ce soir 20h', saturday, 'Europe/Paris')).toBe('2026-10-24T18:00:00.000Z');
  });

  it('an ambiguous time takes its second occurrence (standard time)', () => {
    expect(at('demain 2h30', saturday, 'Europe/Paris')).toBe('2026-10-25T01:30:00.000Z');
  });

  it('relative offsets across the change are exact elapsed time', () => {
    const night = new Date('2026-10-24T23:30:00.000Z'); // 01:30 CEST
    expect(at('dans 2 heures', night, 'Europe/Paris')).toBe('2026-10-25T01:30:00.000Z'); // 02:30 CET
  });

  it('a weekly 09:00 keeps its local hour: 07:00Z before, 08:00Z after', () => {
    const rule = 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0';
    const before = nextOccurrence(rule, 'Europe/Paris', new Date('2026-10-13T12:00:00Z'));
    expect(before?.toISOString()).toBe('2026-10-19T07:00:00.000Z');
    const after = nextOccurrence(rule, 'Europe/Paris', before!);
    expect(after?.toISOString()).toBe('2026-10-26T08:00:00.000Z');
  });

  it('a daily 02:30 fires once on the change day', () => {
    const rule = 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30';
    const a = nextOccurrence(rule, 'Europe/Paris', new Date('2026-10-24T00:00:00Z'));
    expect(a?.toISOString()).toBe('2026-10-24T00:30:00.000Z');
    const b = nextOccurrence(rule, 'Europe/Paris', a!);
    expect(b?.toISOString()).toBe('2026-10-25T01:30:00.000Z');
    const c = nextOccurrence(rule, 'Europe/Paris', b!);
    expect(c?.toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });
});

describe('overseas zones: demain 9h', () => {
  // 12:00Z on Monday 30 November 2026.
  const now = new Date('2026-11-30T12:00:00.000Z');
  it.each([
    ['America/Cayenne', '2026-12-01T12:00:00.000Z'], // UTC-3, local now 09:00
    ['Indian/Reunion', '2026-12-01T05:00:00.000Z'], // UTC+4, local now 16:00
    ['Pacific/Noumea', '2026-11-30T22:00:00.000Z'], // UTC+11, local now 23:00
  ])('%s', (zone, iso) => {
    expect(at('demain 9h', now, zone)).toBe(iso);
    expect(at('tomorrow 9am', now, zone, 'en')).toBe(iso);
  });

  it('Nouméa after local midnight: "demain" is the day after the LOCAL date', () => {
    const late = new Date('2026-11-30T14:00:00.000Z'); // 01:00 on 1 December in Nouméa
    expect(at('demain 9h', late, 'Pacific/Noumea')).toBe('2026-12-01T22:00:00.000Z');
    expect(at("aujourd'hui 18h", late, 'Pacific/Noumea')).toBe('2026-12-01T07:00:00.000Z');
  });

  it('Cayenne: a weekly reminder at 08:30 local', () => {
    const r = parseRecurrence('tous les lundis 8h30', { zone: 'America/Cayenne', locale: 'fr', now, defaultHour: 9 });
    expect(r?.first.toISOString()).toBe('2026-12-07T11:30:00.000Z');
  });

  it('Réunion: every day at 8:30', () => {
    const r = parseRecurrence('every day at 8:30', { zone: 'Indian/Reunion', locale: 'en', now, defaultHour: 9 });
    expect(r?.first.toISOString()).toBe('2026-12-01T04:30:00.000Z');
  });
});
