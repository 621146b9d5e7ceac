import { describe, expect, it } from 'vitest';
import { describeRecurrence, nextOccurrence, parseRecurrence, type TimeLocale } from '../../src/time/index.js';

// Monday 30 November 2026, 10:00 in Paris (CET, UTC+1).
const NOW = new Date('2026-11-30T09:00:00.000Z');
const ZONE = 'Europe/Paris';

function rec(text: string, locale: TimeLocale = 'fr') {
  const r = parseRecurrence(text, { zone: ZONE, locale, now: NOW, defaultHour: 9 });
  return r ? { rrule: r.rrule, first: r.first.toISOString(), text: r.text, index: r.index } : null;
}

const CASES: Array<[string, string, string]> = [
  ['tous les lundis à 9h', 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', '2026-12-07T08:00:00.000Z'],
  ['tous les lundis 8h30', 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=30', '2026-12-07T07:30:00.000Z'],
  ['chaque jour à 8h', 'FREQ=DAILY;BYHOUR=8;BYMINUTE=0', '2026-12-01T07:00:00.000Z'],
  ['tous les jours', 'FREQ=DAILY;BYHOUR=9;BYMINUTE=0', '2026-12-01T08:00:00.000Z'],
  ['chaque semaine', 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', '2026-12-07T08:00:00.000Z'], // today's weekday
  ['le 1er de chaque mois', 'FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0', '2026-12-01T08:00:00.000Z'],
  ['chaque 1er du mois à 9h', 'FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0', '2026-12-01T08:00:00.000Z'],
  ['tous les 15 du mois', 'FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=9;BYMINUTE=0', '2026-12-15T08:00:00.000Z'],
  ['chaque mois le 31', 'FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=9;BYMINUTE=0', '2026-12-31T08:00:00.000Z'],
  ['du lundi au vendredi à 8h', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0', '2026-12-01T07:00:00.000Z'],
  ['tous les jours ouvrés', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0', '2026-12-01T08:00:00.000Z'],
  ['tous les lundis et jeudis à 18h', 'FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=18;BYMINUTE=0', '2026-11-30T17:00:00.000Z'],
  ['tous les lundis à 11h', 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=11;BYMINUTE=0', '2026-11-30T10:00:00.000Z'], // still ahead today
  ['every weekday 8am', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0', '2026-12-01T07:00:00.000Z'],
  ['every monday at 9', 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', '2026-12-07T08:00:00.000Z'],
  ['every day at 8:30', 'FREQ=DAILY;BYHOUR=8;BYMINUTE=30', '2026-12-01T07:30:00.000Z'],
  ['every month on the 1st', 'FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0', '2026-12-01T08:00:00.000Z'],
  ['every friday at 5:30pm', 'FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=30', '2026-12-04T16:30:00.000Z'],
  ['on the 15th of every month', 'FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=9;BYMINUTE=0', '2026-12-15T08:00:00.000Z'],
];

describe('parseRecurrence', () => {
  for (const [text, rrule, first] of CASES) {
    it(`${text} → ${rrule}`, () => {
      expect(rec(text, 'fr')).toMatchObject({ rrule, first, text, index: 0 });
      expect(rec(text, 'en')).toMatchObject({ rrule, first });
    });
  }

  it('points at the phrase (and its time) inside a longer text', () => {
    const text = 'tous les lundis 8h30 point hebdo';
    expect(rec(text)).toMatchObject({ text: 'tous les lundis 8h30', index: 0 });
    expect(rec('Relever les compteurs le 1er de chaque mois à 10h, merci')).toMatchObject({
      rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=10;BYMINUTE=0',
      text: 'le 1er de chaque mois à 10h',
      index: 22,
      first: '2026-12-01T09:00:00.000Z',
    });
    expect(rec('à 7h30 tous les mardis sortir les poubelles')).toMatchObject({
      rrule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=7;BYMINUTE=30',
      text: 'à 7h30 tous les mardis',
      index: 0,
      first: '2026-12-01T06:30:00.000Z',
    });
  });

  it('returns null for one-shot dates and plain text', () => {
    expect(rec('demain 9h')).toBeNull();
    expect(rec('vendredi 17h')).toBeNull();
    expect(rec('appeler le SDIS')).toBeNull();
  });

  it('rejects an impossible day of month', () => {
    expect(rec('le 32 de chaque mois')).toBeNull();
  });
});

describe('nextOccurrence', () => {
  it('BYMONTHDAY=31 skips the months without a 31st (local 09:00, both sides of DST)', () => {
    const rule = 'FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=9;BYMINUTE=0';
    const seen: string[] = [];
    let after = new Date('2027-01-15T00:00:00Z');
    for (let i = 0; i < 7; i++) {
      const next = nextOccurrence(rule, ZONE, after);
      expect(next).not.toBeNull();
      seen.push(next!.toISOString());
      after = next!;
    }
    expect(seen).toEqual([
      '2027-01-31T08:00:00.000Z',
      '2027-03-31T07:00:00.000Z', // CEST since 28 March 2027
      '2027-05-31T07:00:00.000Z',
      '2027-07-31T07:00:00.000Z',
      '2027-08-31T07:00:00.000Z',
      '2027-10-31T08:00:00.000Z', // CET again from 31 October 2027 03:00
      '2027-12-31T08:00:00.000Z',
    ]);
  });

  it('is strictly after `after`', () => {
    const rule = 'FREQ=DAILY;BYHOUR=9;BYMINUTE=0';
    expect(nextOccurrence(rule, ZONE, new Date('2026-12-01T08:00:00.000Z'))?.toISOString()).toBe('2026-12-02T08:00:00.000Z');
    expect(nextOccurrence(rule, ZONE, new Date('2026-12-01T07:59:59.999Z'))?.toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });

  it('accepts an RRULE: prefix and fires at 09:00 when the rule has no hour', () => {
    expect(nextOccurrence('RRULE:FREQ=WEEKLY;BYDAY=WE', ZONE, NOW)?.toISOString()).toBe('2026-12-02T08:00:00.000Z');
  });

  it('returns null for a rule that is over or unreadable', () => {
    expect(nextOccurrence('FREQ=DAILY;COUNT=0', ZONE, NOW)).toBeNull();
    expect(nextOccurrence('FREQ=DAILY;UNTIL=20200101T000000Z;BYHOUR=9', ZONE, NOW)).toBeNull();
    expect(nextOccurrence('not a rule', ZONE, NOW)).toBeNull();
  });

  it('rejects an unknown zone', () => {
    expect(() => nextOccurrence('FREQ=DAILY', 'Nowhere/Town', NOW)).toThrow(RangeError);
  });
});

describe('describeRecurrence', () => {
  it.each([
    ['FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', 'tous les lundis à 09:00', 'every Monday at 09:00'],
    ['FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=18;BYMINUTE=0', 'tous les lundis et jeudis à 18:00', 'every Monday and Thursday at 18:00'],
    ['FREQ=DAILY;BYHOUR=8;BYMINUTE=30', 'tous les jours à 08:30', 'every day at 08:30'],
    ['FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0', 'du lundi au vendredi à 08:00', 'every weekday at 08:00'],
    ['FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0', 'le 1er de chaque mois à 09:00', 'on the 1st of every month at 09:00'],
    ['FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=9;BYMINUTE=0', 'le 31 de chaque mois à 09:00', 'on the 31st of every month at 09:00'],
    ['FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=9;BYMINUTE=0', 'le dernier jour de chaque mois à 09:00', 'on the last day of every month at 09:00'],
  ])('%s', (rule, fr, en) => {
    expect(describeRecurrence(rule, 'fr')).toBe(fr);
    expect(describeRecurrence(rule, 'en')).toBe(en);
  });
});
