import { describe, expect, it } from 'vitest';
import * as chronoEn from 'chrono-node/en';
import * as chronoFr from 'chrono-node/fr';
import { hasImpossibleDate, isValidZone, parseWhen, type TimeLocale } from '../../src/time/index.js';
import { foldSameLength } from '../../src/time/mapped.js';
import { withFixedPatterns } from '../../src/time/when.js';

// Monday 30 November 2026, 10:00 in Paris (CET, UTC+1).
const NOW = new Date('2026-11-30T09:00:00.000Z');
const ZONE = 'Europe/Paris';

function at(text: string, locale: TimeLocale = 'fr', defaultHour = 18, now = NOW, zone = ZONE): string | null {
  return parseWhen(text, { zone, locale, now, defaultHour })?.at.toISOString() ?? null;
}

const FRENCH: Array<[string, string]> = [
  ['demain 9h', '2026-12-01T08:00:00.000Z'],
  ['demain à 9h30', '2026-12-01T08:30:00.000Z'],
  ['vendredi 17h', '2026-12-04T16:00:00.000Z'],
  ['vendredi prochain', '2026-12-11T17:00:00.000Z'], // chrono: Friday of next week; no time → 18:00
  ['lundi', '2026-11-30T17:00:00.000Z'], // today, 18:00 still ahead
  ['le 3 décembre à 14h30', '2026-12-03T13:30:00.000Z'],
  ['3/12 14h', '2026-12-03T13:00:00.000Z'],
  ['dans 2 heures', '2026-11-30T11:00:00.000Z'],
  ['dans 20 minutes', '2026-11-30T09:20:00.000Z'],
  ['ce soir 20h', '2026-11-30T19:00:00.000Z'],
  ['jeudi 18h30', '2026-12-03T17:30:00.000Z'],
  ['samedi 10h', '2026-12-05T09:00:00.000Z'],
  ['mardi 18h', '2026-12-01T17:00:00.000Z'],
  // Hour forms chrono.fr misses on its own.
  ['demain 17h', '2026-12-01T16:00:00.000Z'],
  ['demain 17h30', '2026-12-01T16:30:00.000Z'],
  ['demain 17 h 30', '2026-12-01T16:30:00.000Z'],
  ['demain 17 h', '2026-12-01T16:00:00.000Z'],
  ['demain 17 heures 30', '2026-12-01T16:30:00.000Z'],
  ['demain à 9h', '2026-12-01T08:00:00.000Z'],
  ['demain 9H', '2026-12-01T08:00:00.000Z'],
  ['demain midi', '2026-12-01T11:00:00.000Z'],
  ['demain 8h du soir', '2026-12-01T19:00:00.000Z'],
  ['après-demain 10h', '2026-12-02T09:00:00.000Z'],
  ['dans 2 jours à 10h', '2026-12-02T09:00:00.000Z'],
  ['dans 1h30', '2026-11-30T10:30:00.000Z'],
  ['dans une demi-heure', '2026-11-30T09:30:00.000Z'],
  ['dans 1 heure et demie', '2026-11-30T10:30:00.000Z'],
  ['à 9h', '2026-12-01T08:00:00.000Z'], // 09:00 has passed today: chrono moves it to tomorrow
  ['demain matin', '2026-12-01T07:00:00.000Z'], // casual part of day keeps chrono's 08:00
  ['ce soir', '2026-11-30T17:00:00.000Z'],
  ['le 3 décembre', '2026-12-03T17:00:00.000Z'],
  ['le 14 juillet', '2027-07-14T16:00:00.000Z'], // CEST
];

const ENGLISH: Array<[string, string]> = [
  ['tomorrow 5pm', '2026-12-01T16:00:00.000Z'],
  ['next friday', '2026-12-11T17:00:00.000Z'],
  ['in 2 hours', '2026-11-30T11:00:00.000Z'],
  ['December 3 at 2:30pm', '2026-12-03T13:30:00.000Z'],
  ['in 20 minutes', '2026-11-30T09:20:00.000Z'],
  ['tomorrow 9am', '2026-12-01T08:00:00.000Z'],
  ['tomorrow at 9:30', '2026-12-01T08:30:00.000Z'],
  ['friday 5pm', '2026-12-04T16:00:00.000Z'],
  ['monday', '2026-11-30T17:00:00.000Z'],
  ['3 December at 2:30pm', '2026-12-03T13:30:00.000Z'],
  ['3/12 2pm', '2026-12-03T13:00:00.000Z'], // day-first, as in France
  ['tonight 8pm', '2026-11-30T19:00:00.000Z'],
  ['thursday 6:30pm', '2026-12-03T17:30:00.000Z'],
  ['saturday 10am', '2026-12-05T09:00:00.000Z'],
  ['tuesday 6pm', '2026-12-01T17:00:00.000Z'],
  ['in an hour and a half', '2026-11-30T10:30:00.000Z'],
  ['the day after tomorrow at 10am', '2026-12-02T09:00:00.000Z'],
];

describe('parseWhen — French', () => {
  for (const [text, iso] of FRENCH) {
    it(`${text} → ${iso} (fr member)`, () => expect(at(text, 'fr')).toBe(iso));
    it(`${text} → ${iso} (en member)`, () => expect(at(text, 'en')).toBe(iso));
  }
});

describe('parseWhen — English', () => {
  for (const [text, iso] of ENGLISH) {
    it(`${text} → ${iso} (en member)`, () => expect(at(text, 'en')).toBe(iso));
    it(`${text} → ${iso} (fr member)`, () => expect(at(text, 'fr')).toBe(iso));
  }
});

describe('parseWhen — defaults and ambiguities', () => {
  it('uses the default hour when no time is given (reminders 09:00, tasks 18:00)', () => {
    expect(at('demain', 'fr', 9)).toBe('2026-12-01T08:00:00.000Z');
    expect(at('demain', 'fr', 18)).toBe('2026-12-01T17:00:00.000Z');
    expect(parseWhen('demain', { zone: ZONE, locale: 'fr', now: NOW, defaultHour: 18, defaultMinute: 30 })?.at.toISOString()).toBe(
      '2026-12-01T17:30:00.000Z',
    );
  });

  it('moves a bare weekday a week ahead when its default time has already passed', () => {
    expect(at('lundi', 'fr', 9)).toBe('2026-12-07T08:00:00.000Z');
    expect(at('monday', 'en', 9)).toBe('2026-12-07T08:00:00.000Z');
  });

  it('keeps chrono’s forward-date reading of weekdays', () => {
    expect(at('vendredi')).toBe('2026-12-04T17:00:00.000Z');
    const saturday = new Date('2026-12-05T09:00:00.000Z');
    expect(at('vendredi', 'fr', 18, saturday)).toBe('2026-12-11T17:00:00.000Z');
  });

  it('does not read a bare number next to a weekday as an hour', () => {
    expect(at('Commander 12 chaises vendredi')).toBe('2026-12-04T17:00:00.000Z');
    expect(at('tâche 12 vendredi')).toBe('2026-12-04T17:00:00.000Z');
  });

  it('reads durations as durations', () => {
    expect(at('Préparer 5 heures de travail vendredi')).toBe('2026-12-04T17:00:00.000Z');
    expect(at('demain 2 h de marche')).toBe('2026-12-01T17:00:00.000Z');
    expect(at('réunion 18h de la commission')).toBe('2026-11-30T17:00:00.000Z');
    expect(at('sous 48h')).toBe('2026-12-02T09:00:00.000Z');
    expect(at("d'ici 2 heures")).toBe('2026-11-30T11:00:00.000Z');
  });

  it('returns null when there is no date', () => {
    expect(at('appeler le SDIS')).toBeNull();
    expect(at('')).toBeNull();
  });
});

describe('parseWhen — span in the original text', () => {
  it('points at the expression so a title can be cut', () => {
    const text = 'Réparer le lampadaire rue des Écoles @Paul pour vendredi 17h';
    const r = parseWhen(text, { zone: ZONE, locale: 'fr', now: NOW, defaultHour: 18 });
    expect(r?.text).toBe('vendredi 17h');
    expect(r?.index).toBe(text.indexOf('vendredi'));
    expect(r?.at.toISOString()).toBe('2026-12-04T16:00:00.000Z');
  });

  it('maps normalised hour forms back to the original characters', () => {
    const text = 'Rappeler Mme Martin demain 17 h 30 svp';
    const r = parseWhen(text, { zone: ZONE, locale: 'fr', now: NOW, defaultHour: 9 });
    expect(r).toMatchObject({ text: 'demain 17 h 30', index: 20 });
    expect(r?.at.toISOString()).toBe('2026-12-01T16:30:00.000Z');
    const r2 = parseWhen('Point budget dans 1h30 !', { zone: ZONE, locale: 'fr', now: NOW, defaultHour: 9 });
    expect(r2).toMatchObject({ text: 'dans 1h30', index: 13 });
  });

  it('includes a leading article', () => {
    const r = parseWhen('Appeler le 3 décembre à 14h30 la mairie', { zone: ZONE, locale: 'fr', now: NOW, defaultHour: 9 });
    expect(r).toMatchObject({ text: 'le 3 décembre à 14h30', index: 8 });
    const e = parseWhen('Call the SDIS on friday at 5pm', { zone: ZONE, locale: 'en', now: NOW, defaultHour: 9 });
    expect(e).toMatchObject({ text: 'on friday at 5pm', index: 14 });
    expect(e?.at.toISOString()).toBe('2026-12-04T16:00:00.000Z');
  });

  it('finds the first expression of a reminder', () => {
    const r = parseWhen('demain 9h appeler le SDIS', { zone: ZONE, locale: 'fr', now: NOW, defaultHour: 9 });
    expect(r).toMatchObject({ text: 'demain 9h', index: 0 });
    const m = parseWhen('Commission travaux jeudi 18h30 1h30 salle du conseil', { zone: ZONE, locale: 'fr', now: NOW, defaultHour: 18 });
    expect(m).toMatchObject({ text: 'jeudi 18h30', index: 19 });
    expect(m?.at.toISOString()).toBe('2026-12-03T17:30:00.000Z');
  });
});

describe('parseWhen — relative offsets are exact', () => {
  const now = new Date('2026-11-30T09:07:33.456Z');
  it.each([
    ['dans 2 heures', 2 * 3600_000],
    ['dans 20 minutes', 20 * 60_000],
    ['dans 1h30', 90 * 60_000],
    ['in 2 hours', 2 * 3600_000],
    ['in 20 minutes', 20 * 60_000],
  ])('%s', (text, ms) => {
    for (const zone of ['Europe/Paris', 'America/Cayenne', 'Indian/Reunion', 'Pacific/Noumea']) {
      expect(parseWhen(text, { zone, locale: 'fr', now, defaultHour: 9 })?.at.toISOString()).toBe(new Date(now.getTime() + ms).toISOString());
    }
  });
});

describe('parseWhen — impossible dates', () => {
  it.each(['le 31 février', 'le 30/02', 'le 30/02 à 10h', 'le 31 avril à 14h', '31/04', 'le 29 février 2027', 'February 30 at 10am', 'Feb 31', 'le 3/13'])(
    '%s → null',
    (text) => {
      expect(at(text, 'fr')).toBeNull();
      expect(at(text, 'en')).toBeNull();
    },
  );

  it('hasImpossibleDate tells them apart from texts without a date', () => {
    expect(hasImpossibleDate('le 31 février')).toBe(true);
    expect(hasImpossibleDate('le 30/02 à 10h')).toBe(true);
    expect(hasImpossibleDate('le 28 février')).toBe(false);
    expect(hasImpossibleDate('appeler le SDIS')).toBe(false);
  });

  it('accepts 29 February in a leap year', () => {
    expect(at('le 29 février 2028 à 10h')).toBe('2028-02-29T09:00:00.000Z');
  });
});

describe('isValidZone', () => {
  it('knows IANA zones', () => {
    expect(isValidZone('Europe/Paris')).toBe(true);
    expect(isValidZone('Pacific/Noumea')).toBe(true);
    expect(isValidZone('Europe/Pariss')).toBe(false);
    expect(isValidZone('')).toBe(false);
  });

  it('parseWhen rejects an unknown zone loudly', () => {
    expect(() => parseWhen('demain 9h', { zone: 'Mars/Olympus', locale: 'fr', now: NOW, defaultHour: 9 })).toThrow(RangeError);
  });
});

describe('parseWhen — independent of the process time zone', () => {
  it.each(['UTC', 'America/New_York', 'Pacific/Noumea', 'Europe/Paris', 'Asia/Kolkata'])('TZ=%s', (tz) => {
    const saved = process.env.TZ;
    process.env.TZ = tz;
    try {
      expect(at('demain 9h')).toBe('2026-12-01T08:00:00.000Z');
      expect(at('lundi', 'fr', 9)).toBe('2026-12-07T08:00:00.000Z');
      expect(at('vendredi 17h')).toBe('2026-12-04T16:00:00.000Z');
      expect(at('dans 2 heures')).toBe('2026-11-30T11:00:00.000Z');
      expect(at('demain 9h', 'fr', 18, NOW, 'Pacific/Noumea')).toBe('2026-11-30T22:00:00.000Z');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('chrono instances whose parsers build their pattern once', () => {
  type Chrono = ReturnType<typeof withFixedPatterns>;
  const pair = () => [chronoFr.createCasualConfiguration(true), chronoEn.configuration.createCasualConfiguration(true)] as const;
  const [frStock, enStock] = pair().map((c) => new chronoFr.Chrono(c));
  const [frFixed, enFixed] = pair().map(withFixedPatterns);

  /** The parsers whose `pattern` is a different object from one parse to the next. */
  function rebuilt(chrono: Chrono): string[] {
    const context = { option: { forwardDate: true }, refDate: NOW } as never;
    return chrono.parsers.filter((p) => p.pattern(context) !== p.pattern(context)).map((p) => p.constructor.name);
  }

  it('keeps every parser’s pattern, where chrono.fr rebuilds some at every parse', () => {
    expect(rebuilt(frStock!).length).toBeGreaterThan(0);
    expect(rebuilt(frFixed!)).toEqual([]);
    expect(rebuilt(enFixed!)).toEqual([]);
  });

  it('reads every phrase as the stock instances do', () => {
    const phrases = [
      ...FRENCH.map(([t]) => t),
      ...ENGLISH.map(([t]) => t),
      'la semaine prochaine', 'les 2 prochaines semaines', 'le mois dernier', 'dans 3 jours', 'en 2 semaines',
      'pour 3 jours', 'il y a 2 jours', 'il y a 3 heures', 'réunion mardi prochain 18:00', 'in 3 weeks', '2 days ago',
      'next month', 'within 2 hours',
    ];
    const shape = (chrono: Chrono, text: string) =>
      chrono.parse(text, NOW, { forwardDate: true }).map((r) => ({ index: r.index, text: r.text, at: r.start.date().toISOString(), tags: [...r.tags()].sort() }));
    let found = 0;
    for (const text of phrases) {
      for (const [stock, fixed] of [[frStock!, frFixed!], [enStock!, enFixed!]] as const) {
        const expected = shape(stock, text);
        found += expected.length;
        expect(shape(fixed, text), text).toEqual(expected);
      }
    }
    expect(found).toBeGreaterThan(phrases.length);
  });
});

describe('foldSameLength', () => {
  it('lower-cases and strips accents, one unit for one', () => {
    for (const [input, folded] of [
      ['Vendredi 17H', 'vendredi 17h'],
      ['Février à Noël', 'fevrier a noel'],
      ['Œuvre 🎉 ÉTÉ', 'œuvre 🎉 ete'],
    ]) {
      expect(foldSameLength(input!)).toBe(folded);
      expect(foldSameLength(input!).length).toBe(input!.length);
    }
  });
});
