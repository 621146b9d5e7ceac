/**
 * Recurrences: French and English phrases to RFC 5545 RRULEs (no DTSTART), and next
 * occurrences computed on WALL-CLOCK time in the commune's zone.
 *
 * The rule is evaluated by the `rrule` library on "floating" times (local wall-clock written as
 * UTC dates), then each candidate wall-clock becomes an instant with luxon in the zone. So a weekly
 * 09:00 stays at 09:00 local across DST changes, and `BYMONTHDAY=31` skips months without a 31st.
 * A candidate in a spring-forward gap moves forward by the gap (02:30 → 03:30); an ambiguous
 * fall-back time takes its second occurrence (standard time). Rules without BYHOUR at daily or
 * coarser frequency fire at 09:00. INTERVAL > 1 has no anchor without DTSTART: it is counted from
 * the day of `after`, so only INTERVAL=1 rules are produced here.
 */
import { createRequire } from 'node:module';
import { DateTime } from 'luxon';
import type { Options, Weekday } from 'rrule';
import { foldSameLength } from './mapped.js';
import { assertZone, type TimeLocale, type WhenOptions } from './when.js';

// rrule 2.8.1 ships a UMD bundle as "main" with no "exports": Node's ESM loader cannot see its
// named exports, so load it through require.
const require = createRequire(import.meta.url);
const { RRule } = require('rrule') as typeof import('rrule');

/** A recurrence found in a text: the rule, its first occurrence, and the matched ORIGINAL span. */
export interface RecurrenceMatch {
  /** RFC 5545 RRULE without DTSTART, e.g. `FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0`. */
  rrule: string;
  /** First occurrence strictly after `now`. */
  first: Date;
  /** The original characters of the expression. */
  text: string;
  /** Offset of the expression in the original string. */
  index: number;
}

const DAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
type DayCode = (typeof DAY_CODES)[number];
const FR_DAYS = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'];
const EN_DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const EN_DAYS_CAP = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const WORKDAYS: DayCode[] = ['MO', 'TU', 'WE', 'TH', 'FR'];

const W = '\\p{L}\\d';
const B = `(?<![${W}])`;
const E = `(?![${W}])`;
const DAY = `(${[...FR_DAYS, ...EN_DAYS].join('|')})s?`;
const ORD = '(?:er|re|e|eme|st|nd|rd|th)?';

function dayCode(word: string): DayCode | null {
  const w = word.replace(/s$/, '');
  const i = FR_DAYS.indexOf(w) >= 0 ? FR_DAYS.indexOf(w) : EN_DAYS.indexOf(w);
  return i >= 0 ? (DAY_CODES[i] ?? null) : null;
}

function daysIn(s: string): DayCode[] {
  const out: DayCode[] = [];
  const re = new RegExp(`${B}${DAY}${E}`, 'gu');
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const c = dayCode(m[1] ?? '');
    if (c && !out.includes(c)) out.push(c);
  }
  return out.sort((a, b) => DAY_CODES.indexOf(a) - DAY_CODES.indexOf(b));
}

interface Shape {
  index: number;
  end: number;
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY';
  byday?: DayCode[];
  bymonthday?: number;
}

type Builder = (m: RegExpExecArray, ctx: { today: DateTime }) => Omit<Shape, 'index' | 'end'> | null;

const monthDay = (n: string | undefined): { freq: 'MONTHLY'; bymonthday: number } | null => {
  const d = Number(n);
  return d >= 1 && d <= 31 ? { freq: 'MONTHLY', bymonthday: d } : null;
};

const PATTERNS: Array<[RegExp, Builder]> = [
  // Working days.
  [
    new RegExp(
      `${B}(?:(?:tous\\s+les|chaque)\\s+jours?\\s+ouvr(?:e|a)(?:bles?|s)?|du\\s+lundi\\s+au\\s+vendredi|en\\s+semaine|every\\s+(?:week|working\\s+|business\\s+)days?|(?:on\\s+)?weekdays|(?:from\\s+)?monday\\s+(?:to|through|thru|-)\\s+friday)${E}`,
      'gu',
    ),
    () => ({ freq: 'WEEKLY', byday: WORKDAYS }),
  ],
  // Given weekdays.
  [
    new RegExp(
      `${B}(?:tous\\s+les|chaque|every|each)\\s+${DAY}(?:\\s*(?:,|et|and|&)\\s*(?:les\\s+)?${DAY})*${E}`,
      'gu',
    ),
    (m) => ({ freq: 'WEEKLY', byday: daysIn(m[0]) }),
  ],
  [new RegExp(`${B}(?:le|on)\\s+${DAY}\\s+(?:de\\s+chaque|of\\s+every|of\\s+each)\\s+(?:semaine|week)${E}`, 'gu'), (m) => ({ freq: 'WEEKLY', byday: daysIn(m[0]) })],
  [new RegExp(`${B}(?:on\\s+)?(${EN_DAYS.join('|')})s${E}`, 'gu'), (m) => ({ freq: 'WEEKLY', byday: daysIn(m[0]) })],
  // Day of month.
  [new RegExp(`${B}(?:le\\s+)?(\\d{1,2})${ORD}\\s+(?:de\\s+)?(?:chaque|tous\\s+les)\\s+mois${E}`, 'gu'), (m) => monthDay(m[1])],
  [new RegExp(`${B}(?:chaque|tous\\s+les)\\s+(\\d{1,2})${ORD}\\s+(?:du|de\\s+chaque)\\s+mois${E}`, 'gu'), (m) => monthDay(m[1])],
  [new RegExp(`${B}(?:chaque|tous\\s+les)\\s+mois\\s*,?\\s*le\\s+(\\d{1,2})${ORD}${E}`, 'gu'), (m) => monthDay(m[1])],
  [new RegExp(`${B}(?:every|each)\\s+month\\s*,?\\s*on\\s+the\\s+(\\d{1,2})${ORD}${E}`, 'gu'), (m) => monthDay(m[1])],
  [new RegExp(`${B}monthly\\s*,?\\s*on\\s+the\\s+(\\d{1,2})${ORD}${E}`, 'gu'), (m) => monthDay(m[1])],
  [new RegExp(`${B}(?:on\\s+)?the\\s+(\\d{1,2})${ORD}\\s+of\\s+(?:every|each|the)\\s+month${E}`, 'gu'), (m) => monthDay(m[1])],
  [new RegExp(`${B}(?:every|each)\\s+(\\d{1,2})(?:st|nd|rd|th)(?:\\s+of\\s+the\\s+month)?${E}`, 'gu'), (m) => monthDay(m[1])],
  [
    new RegExp(
      `${B}(?:le\\s+dernier\\s+jour\\s+(?:de\\s+chaque|du)\\s+mois|(?:on\\s+)?the\\s+last\\s+day\\s+of\\s+(?:every|each|the)\\s+month)${E}`,
      'gu',
    ),
    () => ({ freq: 'MONTHLY', bymonthday: -1 }),
  ],
  // Every day.
  [new RegExp(`${B}(?:tous\\s+les\\s+jours|chaque\\s+jour|quotidiennement|every\\s+day|each\\s+day|daily)${E}`, 'gu'), () => ({ freq: 'DAILY' })],
  // Every week / month without a day: today's weekday / day of month, optionally `le lundi`.
  [
    new RegExp(
      `${B}(?:chaque\\s+semaine|toutes\\s+les\\s+semaines|hebdomadaire(?:ment)?|every\\s+week|each\\s+week|weekly)(?:\\s*,?\\s*(?:le|on)\\s+${DAY})?${E}`,
      'gu',
    ),
    (m, { today }) => {
      const days = daysIn(m[0]);
      return { freq: 'WEEKLY', byday: days.length ? days : [DAY_CODES[today.weekday - 1] ?? 'MO'] };
    },
  ],
  [
    new RegExp(`${B}(?:chaque\\s+mois|tous\\s+les\\s+mois|mensuel(?:lement)?|every\\s+month|each\\s+month|monthly)${E}`, 'gu'),
    (_m, { today }) => ({ freq: 'MONTHLY', bymonthday: today.day }),
  ],
];

interface TimeHit {
  hour: number;
  minute: number;
  index: number;
  end: number;
}

const TIME_SRC =
  `(?:(?:à|a|at|vers|around|@)\\s+)?` +
  `(?:(\\d{1,2})\\s*(?:h|heures?)\\s*(?:([0-5]\\d)(?!\\d))?` + // 8h, 8h30, 8 h 30
  `|(\\d{1,2}):([0-5]\\d)(?:\\s*(am|pm))?` + // 8:30, 8:30pm
  `|(\\d{1,2})\\s*(am|pm)` + // 8am
  `|(midi|noon)|(minuit|midnight))`;
const BARE_AT = `(?:à|a|at|vers|around|@)\\s+(\\d{1,2})(?![\\d:])`; // "at 9"

function toHour(h: number, ampm: string | undefined): number | null {
  if (ampm) {
    if (h < 1 || h > 12) return null;
    return (h % 12) + (ampm === 'pm' ? 12 : 0);
  }
  return h <= 23 ? h : h === 24 ? 0 : null;
}

function readTime(m: RegExpExecArray, bare: boolean): { hour: number; minute: number } | null {
  if (bare) {
    const h = toHour(Number(m[1]), undefined);
    return h === null ? null : { hour: h, minute: 0 };
  }
  if (m[1] !== undefined) {
    const h = toHour(Number(m[1]), undefined);
    return h === null ? null : { hour: h, minute: Number(m[2] ?? 0) };
  }
  if (m[3] !== undefined) {
    const h = toHour(Number(m[3]), m[5]);
    return h === null ? null : { hour: h, minute: Number(m[4]) };
  }
  if (m[6] !== undefined) {
    const h = toHour(Number(m[6]), m[7]);
    return h === null ? null : { hour: h, minute: 0 };
  }
  if (m[8] !== undefined) return { hour: 12, minute: 0 };
  if (m[9] !== undefined) return { hour: 0, minute: 0 };
  return null;
}

/** A time right after `pos` (`à 9h`, `8h30`, `at 8:30am`, `at 9`). */
function timeAfter(f: string, pos: number): TimeHit | null {
  const rest = f.slice(pos);
  for (const [src, bare] of [
    [TIME_SRC, false],
    [BARE_AT, true],
  ] as const) {
    const m = new RegExp(`^\\s*,?\\s*${src}${E}`, 'u').exec(rest);
    if (!m) continue;
    const t = readTime(m, bare);
    if (!t) continue;
    const lead = /^\s*,?\s*/u.exec(rest)?.[0].length ?? 0;
    return { ...t, index: pos + lead, end: pos + m[0].length };
  }
  return null;
}

/** A time right before `pos` (`à 9h tous les lundis`). */
function timeBefore(f: string, pos: number): TimeHit | null {
  const head = f.slice(0, pos);
  for (const [src, bare] of [
    [TIME_SRC, false],
    [BARE_AT, true],
  ] as const) {
    const m = new RegExp(`${B}${src}(\\s*,?\\s*)$`, 'u').exec(head);
    if (!m) continue;
    const t = readTime(m, bare);
    if (!t) continue;
    const trail = m[m.length - 1]?.length ?? 0;
    return { ...t, index: m.index, end: m.index + m[0].length - trail };
  }
  return null;
}

/** Finds the first recurrence phrase in `text`: its RRULE (no DTSTART) and first occurrence after `now`, or null. */
export function parseRecurrence(text: string, opts: WhenOptions): RecurrenceMatch | null {
  assertZone(opts.zone);
  const f = foldSameLength(text);
  const today = DateTime.fromJSDate(opts.now, { zone: opts.zone });
  let best: Shape | null = null;
  const rejected: Array<[number, number]> = [];
  for (const [re, build] of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(f); m; m = re.exec(f)) {
      const s = m.index;
      const e = s + m[0].length;
      const shape = build(m, { today });
      if (!shape || (shape.byday && shape.byday.length === 0)) {
        rejected.push([s, e]); // e.g. `le 32 de chaque mois`: never fall back to a shorter reading
        continue;
      }
      if (!best || s < best.index || (s === best.index && e > best.end)) best = { ...shape, index: s, end: e };
      break; // first match of this pattern is enough
    }
  }
  if (!best) return null;
  const chosen = best;
  if (rejected.some(([s, e]) => s < chosen.end && chosen.index < e)) return null;

  let start = best.index;
  let end = best.end;
  let hour = opts.defaultHour;
  let minute = opts.defaultMinute ?? 0;
  const t = timeAfter(f, end) ?? timeBefore(f, start);
  if (t) {
    hour = t.hour;
    minute = t.minute;
    start = Math.min(start, t.index);
    end = Math.max(end, t.end);
  }
  // Weekly on all seven days is daily.
  if (best.freq === 'WEEKLY' && best.byday?.length === 7) {
    best = { index: best.index, end: best.end, freq: 'DAILY' };
  }
  const parts = [`FREQ=${best.freq}`];
  if (best.byday) parts.push(`BYDAY=${best.byday.join(',')}`);
  if (best.bymonthday !== undefined) parts.push(`BYMONTHDAY=${best.bymonthday}`);
  parts.push(`BYHOUR=${hour}`, `BYMINUTE=${minute}`);
  const rrule = parts.join(';');
  const first = nextOccurrence(rrule, opts.zone, opts.now);
  if (!first) return null;
  return { rrule, first, text: text.slice(start, end), index: start };
}

function parseOptions(rrule: string): Partial<Options> | null {
  try {
    const body = rrule
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !/^DTSTART/i.test(l))
      .map((l) => l.replace(/^RRULE:/i, ''))
      .join(';');
    const o = RRule.parseString(body);
    return o.freq === undefined || o.freq === null ? null : o;
  } catch {
    return null;
  }
}

/** The next occurrence of `rrule` strictly after `after`, computed on wall-clock time in `zone`; null when none. */
export function nextOccurrence(rrule: string, zone: string, after: Date): Date | null {
  assertZone(zone);
  const o = parseOptions(rrule);
  if (!o) return null;
  const opts: Partial<Options> = { ...o };
  if ((opts.byhour === undefined || opts.byhour === null) && (opts.freq ?? 0) <= RRule.DAILY) opts.byhour = [9];
  if ((opts.byminute === undefined || opts.byminute === null) && opts.byhour !== undefined && opts.byhour !== null) opts.byminute = [0];
  if (opts.bysecond === undefined || opts.bysecond === null) opts.bysecond = [0];
  const local = DateTime.fromJSDate(after, { zone });
  const floatingAfter = new Date(
    Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond),
  );
  // Anchor at the start of `after`'s local day so same-day occurrences count.
  const dtstart = new Date(Date.UTC(local.year, local.month - 1, local.day));
  let rule;
  try {
    rule = new RRule({ ...opts, dtstart, tzid: null });
  } catch {
    return null;
  }
  let cand = rule.after(floatingAfter, false);
  for (let i = 0; cand && i < 50; i++) {
    const dt = DateTime.fromObject(
      {
        year: cand.getUTCFullYear(),
        month: cand.getUTCMonth() + 1,
        day: cand.getUTCDate(),
        hour: cand.getUTCHours(),
        minute: cand.getUTCMinutes(),
        second: cand.getUTCSeconds(),
      },
      { zone },
    );
    // Skip a wall-clock that maps to `after` or earlier (the repeated hour of a fall-back change).
    if (dt.isValid && dt.toMillis() > after.getTime()) return dt.toJSDate();
    cand = rule.after(cand, false);
  }
  return null;
}

const FR_ORD = (n: number): string => (n === 1 ? '1er' : String(n));
const EN_ORD = (n: number): string => {
  const t = n % 100;
  if (t >= 11 && t <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
};

function list(items: string[], and: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}

function weekdayIndexes(byweekday: Options['byweekday'] | undefined): number[] {
  if (byweekday === null || byweekday === undefined) return [];
  const arr = Array.isArray(byweekday) ? byweekday : [byweekday];
  return arr
    .map((d) => (typeof d === 'number' ? d : typeof d === 'string' ? DAY_CODES.indexOf(d as DayCode) : (d as Weekday).weekday))
    .filter((d) => d >= 0 && d <= 6)
    .sort((a, b) => a - b);
}

function numbers(v: number | number[] | null | undefined): number[] {
  if (v === null || v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).slice().sort((a, b) => a - b);
}

/** A short human text for `rrule`: `tous les lundis à 09:00` / `every Monday at 09:00`. */
export function describeRecurrence(rrule: string, locale: TimeLocale): string {
  const o = parseOptions(rrule);
  if (!o) return rrule;
  const fr = locale === 'fr';
  const hours = numbers(o.byhour);
  const minutes = numbers(o.byminute);
  const hh = hours.length ? hours : (o.freq ?? 0) <= RRule.DAILY ? [9] : [];
  const mm = minutes.length ? minutes : [0];
  const times = hh.flatMap((h) => mm.map((m) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`));
  const at = times.length ? (fr ? ` à ${list(times, 'et')}` : ` at ${list(times, 'and')}`) : '';
  const interval = o.interval && o.interval > 1 ? o.interval : 1;
  const days = weekdayIndexes(o.byweekday);
  const monthDays = numbers(o.bymonthday);

  let what: string;
  switch (o.freq) {
    case RRule.DAILY:
      what = interval > 1 ? (fr ? `tous les ${interval} jours` : `every ${interval} days`) : fr ? 'tous les jours' : 'every day';
      break;
    case RRule.WEEKLY:
      if (interval === 1 && days.length === 5 && days.every((d, i) => d === i)) {
        what = fr ? 'du lundi au vendredi' : 'every weekday';
      } else if (interval === 1 && days.length === 7) {
        what = fr ? 'tous les jours' : 'every day';
      } else if (days.length) {
        const names = days.map((d) => (fr ? `${FR_DAYS[d]}s` : (EN_DAYS_CAP[d] ?? '')));
        what = fr
          ? `${interval > 1 ? `toutes les ${interval} semaines, les` : 'tous les'} ${list(names, 'et')}`
          : `every ${interval > 1 ? `${interval} weeks on ` : ''}${list(names, 'and')}`;
      } else {
        what = interval > 1 ? (fr ? `toutes les ${interval} semaines` : `every ${interval} weeks`) : fr ? 'chaque semaine' : 'every week';
      }
      break;
    case RRule.MONTHLY: {
      const every = interval > 1 ? (fr ? `tous les ${interval} mois` : `every ${interval} months`) : fr ? 'chaque mois' : 'every month';
      if (monthDays.length) {
        const named = monthDays.map((d) =>
          d === -1 ? (fr ? 'dernier jour' : 'last day') : fr ? FR_ORD(d) : EN_ORD(d),
        );
        what = fr
          ? `le ${list(named, 'et le')} ${interval > 1 ? `, ${every}` : 'de chaque mois'}`.replace(' ,', ',')
          : `on the ${list(named, 'and')} of ${interval > 1 ? `the month, ${every}` : 'every month'}`;
      } else {
        what = every;
      }
      break;
    }
    case RRule.YEARLY:
      what = fr ? 'chaque année' : 'every year';
      break;
    default:
      what = rrule;
  }
  return `${what}${at}`;
}
