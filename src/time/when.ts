/**
 * One-shot dates: French (first) and English natural language read in an IANA zone.
 *
 * chrono-node finds the expression and its wall-clock components; luxon turns those into an
 * instant in the commune's zone (chrono ignores IANA zone names). Policies:
 * - No time given: `defaultHour:defaultMinute` (tasks 18:00, reminders 09:00). Casual parts of the
 *   day keep chrono's hour (`ce soir` 18:00, `demain matin` 08:00, `tonight` 22:00).
 * - `dans 2 heures` / `in 20 minutes` (hour/minute/second units): exact offset from `now`.
 *   Day/week units (`dans 3 jours`) keep the wall-clock, with the default time if none is given.
 * - A bare weekday (`lundi`) that would land at or before `now` moves one week ahead.
 * - `vendredi prochain` / `next friday` follow chrono: the Friday of NEXT week (on a Monday it is
 *   11 days away); plain `vendredi` is the coming Friday.
 * - Impossible dates (`le 31 février`, `30/02`) give `null`, never a rolled-over date.
 * - Spring-forward gap: a wall-clock time that does not exist (02:30 on 2026-03-29 in
 *   Europe/Paris) moves forward by the gap length (03:30 CEST). Fall-back overlap: an ambiguous
 *   time (02:30 on 2026-10-25) resolves to its second occurrence (standard time, +01:00), as luxon does.
 * - Both parsers run; the member's language wins unless the other finds an expression that starts
 *   earlier or is longer at the same place (so `demain 9h` works for an English member).
 * - English reads slashed dates day-first (`3/12` is 3 December), as in France.
 *
 * chrono works on the process's local time internally; for exactness run the process with
 * `TZ=UTC` (any zone works except within an hour of the PROCESS zone's own DST change).
 */
import type { Chrono, ParsedComponents, ParsedResult } from 'chrono-node';
// Only the two locales Pilote reads (the package's index loads a dozen: ~25 MB of RSS).
import * as chronoEn from 'chrono-node/en';
import * as chronoFr from 'chrono-node/fr';
import { DateTime, IANAZone } from 'luxon';
import { MappedText, foldSameLength } from './mapped.js';

/** The parsers of a chrono configuration (chrono exports `Configuration` from no entry point). */
type ChronoConfiguration = NonNullable<ConstructorParameters<typeof chronoFr.Chrono>[0]>;

/**
 * Builds a chrono instance whose parsers each build their pattern once. chrono keeps a
 * parser's full pattern (its inner one behind a word boundary) while `innerPattern()` returns
 * the same object, but most French parsers return a new one at every call (a literal in the
 * method, or a RegExp built from strings), so chrono built their full patterns again at every
 * parse (the tenth round, docs/performance.md). Here a parser compares inner
 * patterns by what they match (source and flags), and one whose `innerPattern` takes no
 * argument, which cannot depend on the parse, builds it once.
 */
export function withFixedPatterns(configuration: ChronoConfiguration): Chrono {
  for (const parser of configuration.parsers) {
    const p = parser as {
      innerPattern?: (context?: unknown) => RegExp;
      innerPatternHasChange?: (context: unknown, current: RegExp) => boolean;
    };
    const build = p.innerPattern;
    if (typeof build !== 'function' || typeof p.innerPatternHasChange !== 'function') continue;
    let inner = build;
    if (build.length === 0) {
      const fixed = build.call(parser);
      inner = () => fixed;
      p.innerPattern = inner;
    }
    p.innerPatternHasChange = (context, current) => {
      const next = inner.call(parser, context);
      return next !== current && (next.source !== current.source || next.flags !== current.flags);
    };
  }
  return new chronoFr.Chrono(configuration);
}

/** French, casual (`demain`, `ce soir`), day before month: chrono.fr's `casual`, patterns built once. */
const FR = withFixedPatterns(chronoFr.createCasualConfiguration(true));
/** English, casual, day before month (as in France): chrono.en's `GB`, patterns built once. */
const EN = withFixedPatterns(chronoEn.configuration.createCasualConfiguration(true));

/** A language Pilote speaks. */
export type TimeLocale = 'fr' | 'en';

/** Options shared by {@link parseWhen} and `parseRecurrence`. */
export interface WhenOptions {
  /** IANA zone the words are read in (`Europe/Paris`, `America/Cayenne`…). */
  zone: string;
  /** The member's language, tried first. */
  locale: TimeLocale;
  /** The reference instant ("now"). */
  now: Date;
  /** Hour used when the expression has no time (tasks 18, reminders 9). */
  defaultHour: number;
  /** Minute used when the expression has no time (default 0). */
  defaultMinute?: number;
}

/** A date found in a text: the instant, and the matched span of the ORIGINAL string. */
export interface WhenMatch {
  /** The instant meant. */
  at: Date;
  /** The original characters of the expression (to cut out of a title). */
  text: string;
  /** Offset of the expression in the original string. */
  index: number;
}

/**
 * True when `zone` is an IANA zone name luxon (ICU) knows. `IANAZone.create` keeps one zone
 * per name with its validity, where `IANAZone.isValidZone` builds an `Intl.DateTimeFormat` at
 * every call (6 % of a command's CPU before, docs/performance.md).
 */
export function isValidZone(zone: string): boolean {
  return typeof zone === 'string' && zone.length > 0 && IANAZone.create(zone).isValid;
}

/** Throws a RangeError when `zone` is not a known IANA zone. */
export function assertZone(zone: string): void {
  if (!isValidZone(zone)) throw new RangeError(`Unknown IANA time zone: ${zone}`);
}

// ---------------------------------------------------------------------------------------------
// Normalisation (forms chrono misses), keeping a map back to the original text.

const L = '\\p{L}\\d'; // "word" characters for Unicode-aware boundaries
const B = `(?<![${L}])`; // start boundary
const E = `(?![${L}])`; // end boundary

/**
 * A global, Unicode, case-insensitive pattern. Every pattern of this module is built once, at
 * load: building a dozen of them at every call was a large share of a parse's CPU (the tenth
 * round, docs/performance.md). Users of a global pattern start it at `lastIndex` 0.
 */
function rx(src: string): RegExp {
  return new RegExp(src, 'giu');
}

function numberWord(w: string): number | null {
  const f = foldSameLength(w);
  if (f === 'un' || f === 'une' || f === 'an' || f === 'a' || f === 'one') return 1;
  const n = Number(f);
  return Number.isFinite(n) ? n : null;
}

const HALF_HOUR = rx(`${B}dans\\s+une\\s+demi[- ]?heure${E}`);
const QUARTER_HOUR = rx(`${B}dans\\s+un\\s+quart\\s+d['’]\\s?heure${E}`);
const WITHIN = rx(`${B}(?:sous|d['’]\\s?ici)(?=\\s+(?:une?|\\d{1,3})\\s*(?:h|heures?|min(?:utes?)?|mn|jours?|semaines?)${E})`);
const IN_HOURS_FR = rx(
  `${B}dans\\s+(une?|\\d{1,3})\\s*(?:h|heures?)(?:(\\d{2})|\\s*(?:et\\s+)?(\\d{1,2})\\s*(?:min(?:utes?)?|mn)|\\s+et\\s+(demie))?${E}`,
);
const IN_HOURS_AND_HALF_EN = rx(`${B}in\\s+(an|one|\\d{1,3})\\s+hours?\\s+and\\s+a\\s+half${E}`);
const IN_HOURS_EN = rx(`${B}in\\s+(\\d{1,3})\\s*h(\\d{2})?${E}`);
const DAY_AFTER_TOMORROW = rx(`${B}apr[eè]s[- ]?demain${E}`);
const HOUR_FR = rx(
  `(?<![\\p{L}\\d:/.,])(\\d{1,2})\\s*(?:h|heures?)(?:\\s*([0-5]\\d)(?!\\d)(?:\\s*(?:min(?:utes?)?|mn)${E})?)?(?:\\s+(du\\s+matin|du\\s+soir|de\\s+l['’]\\s?apr[eè]s[- ]?midi|de\\s+l['’]\\s?aprem))?${E}`,
);
const NOON = rx(`(?<!apr[eè]s[- ]?)${B}midi${E}`);
const MIDNIGHT = rx(`${B}minuit${E}`);

/** Rewrites French hour/duration forms into ones chrono reads (`17 h 30` → `17:30`). */
function normalize(text: string): MappedText {
  const mt = new MappedText(text);
  // Durations first, so `dans 1h30` does not become a time of day.
  mt.replace(HALF_HOUR, () => 'dans 30 minutes');
  mt.replace(QUARTER_HOUR, () => 'dans 15 minutes');
  // `sous 48h`, `d'ici 2 jours` mean the same as `dans`.
  mt.replace(WITHIN, () => 'dans');
  mt.replace(IN_HOURS_FR, (m) => {
    const h = numberWord(m[1] ?? '');
    if (h === null) return null;
    const extra = m[4] ? 30 : Number(m[2] ?? m[3] ?? 0);
    return `dans ${h * 60 + extra} minutes`;
  });
  mt.replace(IN_HOURS_AND_HALF_EN, (m) => {
    const h = numberWord(m[1] ?? '');
    return h === null ? null : `in ${h * 60 + 30} minutes`;
  });
  mt.replace(IN_HOURS_EN, (m) => `in ${Number(m[1]) * 60 + Number(m[2] ?? 0)} minutes`);
  // chrono.fr reads `après-demain` as `demain`.
  mt.replace(DAY_AFTER_TOMORROW, () => 'dans 2 jours');
  // Hours: 17h, 17h30, 17 h 30, 9 H, 17 heures 30, 8h du soir.
  mt.replace(HOUR_FR, (m) => {
    // `5 heures de travail`, `2 h de marche`: a duration, not a time of day — hide it from chrono.
    const rest = m.input.slice(m.index + m[0].length);
    if (!m[3] && /\s|heure/iu.test(m[0]) && /^\s+(?:de|d['’]|par)(?![\p{L}\d])/iu.test(rest)) {
      return ' '.repeat(m[0].length);
    }
    let h = Number(m[1]);
    const min = Number(m[2] ?? 0);
    if (h > 24 || (h === 24 && min > 0)) return null;
    if (h === 24) h = 0;
    const part = m[3] ? foldSameLength(m[3]) : '';
    if (part && !part.includes('matin') && h < 12) h += 12;
    return `${h}:${String(min).padStart(2, '0')}`;
  });
  mt.replace(NOON, () => '12:00');
  mt.replace(MIDNIGHT, () => '00:00');
  return mt;
}

// ---------------------------------------------------------------------------------------------
// Explicit day/month mentions, to reject impossible dates chrono would skip or roll over.

const MONTHS: Record<string, number> = {
  janvier: 1, janv: 1, january: 1, jan: 1,
  fevrier: 2, fevr: 2, fev: 2, february: 2, feb: 2,
  mars: 3, march: 3, mar: 3,
  avril: 4, avr: 4, april: 4, apr: 4,
  mai: 5, may: 5,
  juin: 6, june: 6, jun: 6,
  juillet: 7, juil: 7, july: 7, jul: 7,
  aout: 8, august: 8, aug: 8,
  septembre: 9, september: 9, sept: 9, sep: 9,
  octobre: 10, october: 10, oct: 10,
  novembre: 11, november: 11, nov: 11,
  decembre: 12, december: 12, dec: 12,
};
const MONTH_RE = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|');

interface DateMention {
  index: number;
  end: number;
  day: number;
  month: number;
  year: number | null;
  valid: boolean;
}

function fullYear(y: string | undefined): number | null {
  if (!y) return null;
  const n = Number(y);
  return y.length <= 2 ? 2000 + n : n;
}

function mention(index: number, end: number, day: number, month: number, year: number | null): DateMention {
  // Without a year, 29 February counts as possible (a leap year will come).
  const y = year ?? 2000;
  const valid =
    month >= 1 && month <= 12 && day >= 1 && DateTime.fromObject({ year: y, month, day }, { zone: 'UTC' }).isValid;
  return { index, end, day, month, year, valid };
}

const DAY_FIRST = rx(
  `(?<![\\d/.])(\\d{1,2})(?:er|re|e|eme|st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH_RE})\\.?${E}(?:\\s*,?\\s*(\\d{4})(?!\\d))?`,
);
const MONTH_FIRST = rx(
  `${B}(${MONTH_RE})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?![\\d:])(?!\\s*(?:h|heures?|am|pm|:)${E})(?:,?\\s+(\\d{4})(?!\\d))?`,
);
const SLASHED = /(?<![\d/.:])(\d{1,2})\/(\d{1,2})(?:\/(\d{4}|\d{2}))?(?![\d/])/g;

function findDateMentions(text: string): DateMention[] {
  const f = foldSameLength(text);
  const out: DateMention[] = [];
  DAY_FIRST.lastIndex = 0;
  for (let m = DAY_FIRST.exec(f); m; m = DAY_FIRST.exec(f)) {
    out.push(mention(m.index, m.index + m[0].length, Number(m[1]), MONTHS[m[2] ?? ''] ?? 0, fullYear(m[3])));
  }
  MONTH_FIRST.lastIndex = 0;
  for (let m = MONTH_FIRST.exec(f); m; m = MONTH_FIRST.exec(f)) {
    const s = m.index;
    const e = s + m[0].length;
    if (out.some((o) => o.index < e && s < o.end)) continue;
    out.push(mention(s, e, Number(m[2]), MONTHS[m[1] ?? ''] ?? 0, fullYear(m[3])));
  }
  SLASHED.lastIndex = 0;
  for (let m = SLASHED.exec(f); m; m = SLASHED.exec(f)) {
    out.push(mention(m.index, m.index + m[0].length, Number(m[1]), Number(m[2]), fullYear(m[3])));
  }
  return out.sort((a, b) => a.index - b.index);
}

/** True when `text` mentions a day/month that does not exist (`31 février`, `30/02`, `Feb 30`). */
export function hasImpossibleDate(text: string): boolean {
  return findDateMentions(text).some((m) => !m.valid);
}

// ---------------------------------------------------------------------------------------------
// Parsing.

const CASUAL_TIME = /^casualReference\/(morning|afternoon|evening|night|tonight|noon|midnight|lastNight)$/;
/** A number chrono may have taken for an hour, unless a month follows it ({@link MONTH_AHEAD}). */
const BARE_NUMBER = /(?<![\d/.:])\d{1,2}(?![\d/.:]|\s*(?:er|re|e|eme|st|nd|rd|th)\b)/gu;
const MONTH_AHEAD = new RegExp(`^\\s*(?:${MONTH_RE})`, 'iu');
const TIME_MARKER = /\d:\d\d|\d\s*(?:am|pm|a\.m\.|p\.m\.)|(?:^|[^\p{L}])(?:à|a|at|vers|around|noon|midnight)(?:[^\p{L}]|$)/iu;

interface Candidate {
  result: ParsedResult;
  mt: MappedText;
  index: number;
  text: string;
}

/** Wall-clock components of an instant in a zone, as a `Date` whose LOCAL fields equal them. */
function fakeLocal(dt: DateTime): Date {
  return new Date(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond);
}

function wallMs(c: ParsedComponents): number {
  return Date.UTC(
    c.get('year') ?? 1970,
    (c.get('month') ?? 1) - 1,
    c.get('day') ?? 1,
    c.get('hour') ?? 0,
    c.get('minute') ?? 0,
    c.get('second') ?? 0,
    c.get('millisecond') ?? 0,
  );
}

function hasTag(c: ParsedComponents, re: RegExp): boolean {
  for (const t of c.tags()) if (re.test(t)) return true;
  return false;
}

/** First chrono result in `text` for one language, after normalisation and sanity fixes. */
function firstResult(parser: Chrono, text: string, ref: Date): Candidate | null {
  const mt = normalize(text);
  for (let attempt = 0; attempt < 4; attempt++) {
    const r = parser.parse(mt.text, ref, { forwardDate: true })[0];
    if (!r) return null;
    const c = r.start;
    const relative = hasTag(c, /^result\/relative/) || hasTag(c, /^casualReference\/now$/);
    if (c.isCertain('hour') && !relative && !hasTag(c, CASUAL_TIME) && !TIME_MARKER.test(r.text)) {
      // chrono took a bare number for an hour (`Commander 12 vendredi`, `mardi 3`): blank it out.
      let masked = false;
      BARE_NUMBER.lastIndex = 0;
      for (let m = BARE_NUMBER.exec(r.text); m; m = BARE_NUMBER.exec(r.text)) {
        const after = r.text.slice(m.index + m[0].length);
        if (MONTH_AHEAD.test(foldSameLength(after))) continue;
        mt.mask(r.index + m.index, r.index + m.index + m[0].length);
        masked = true;
      }
      if (masked) continue;
    }
    const span = mt.span(r.index, r.text.length);
    // chrono sometimes keeps surrounding spaces in its match.
    const lead = span.text.length - span.text.trimStart().length;
    let index = span.index + lead;
    let matched = span.text.trim();
    // Include a leading article (`le 3 décembre`, `on Friday`) so callers can cut it out too.
    const before = /(?:^|[^\p{L}])((?:(?:le|the|on)\s+)+)$/iu.exec(text.slice(0, index));
    if (before?.[1]) {
      index -= before[1].length;
      matched = text.slice(index, index + before[1].length + matched.length);
    }
    return { result: r, mt, index, text: matched };
  }
  return null;
}

/** Finds the first date/time expression in `text` and the instant it means in `opts.zone`, or null. */
export function parseWhen(text: string, opts: WhenOptions): WhenMatch | null {
  assertZone(opts.zone);
  const mentions = findDateMentions(text);
  if (mentions.some((m) => !m.valid)) return null;

  const nowZ = DateTime.fromJSDate(opts.now, { zone: opts.zone });
  const ref = fakeLocal(nowZ);
  const [mineParser, otherParser] = opts.locale === 'en' ? [EN, FR] : [FR, EN];
  const mine = firstResult(mineParser, text, ref);
  // The other language can only win by starting earlier or reaching further: not when the
  // member's own already covers all of the text (`vendredi 17h`), which saves a parse.
  const whole = mine && mine.index <= text.length - text.trimStart().length && mine.index + mine.text.length >= text.trimEnd().length;
  const other = whole ? null : firstResult(otherParser, text, ref);
  let best = mine ?? other;
  if (mine && other && (other.index < mine.index || (other.index === mine.index && other.text.length > mine.text.length))) {
    best = other;
  }
  if (!best) return null;

  const c = best.result.start;
  // A written day/month next to or inside the match must be what chrono understood.
  const end = best.index + best.text.length;
  for (const m of mentions) {
    const gapBefore = m.end <= best.index ? text.slice(m.end, best.index) : null;
    const gapAfter = m.index >= end ? text.slice(end, m.index) : null;
    const near =
      (gapBefore === null && gapAfter === null) ||
      (gapBefore !== null && /^[\s,]*(?:à|a|at|le|on)?[\s,]*$/iu.test(gapBefore)) ||
      (gapAfter !== null && /^[\s,]*$/u.test(gapAfter));
    if (near && (c.get('day') !== m.day || c.get('month') !== m.month || !c.isCertain('day'))) return null;
  }

  const at = buildInstant(c, nowZ, opts);
  if (!at) return null;
  return { at, text: best.text, index: best.index };
}

function buildInstant(c: ParsedComponents, nowZ: DateTime, opts: WhenOptions): Date | null {
  if (hasTag(c, /^result\/relativeDateAndTime$/) || hasTag(c, /^casualReference\/now$/)) {
    // Exact elapsed offset: compare chrono's wall-clock result with the wall-clock reference.
    const refMs = Date.UTC(nowZ.year, nowZ.month - 1, nowZ.day, nowZ.hour, nowZ.minute, nowZ.second, nowZ.millisecond);
    return new Date(opts.now.getTime() + (wallMs(c) - refMs));
  }
  const timeGiven = c.isCertain('hour') || hasTag(c, CASUAL_TIME);
  const year = c.get('year');
  const month = c.get('month');
  const day = c.get('day');
  if (year === null || month === null || day === null) return null;
  const wall = {
    year,
    month,
    day,
    hour: timeGiven ? (c.get('hour') ?? 0) : opts.defaultHour,
    minute: timeGiven ? (c.get('minute') ?? 0) : (opts.defaultMinute ?? 0),
  };
  let dt = DateTime.fromObject(wall, { zone: opts.zone });
  // Luxon shifts a time in the spring-forward gap forward by the gap; the date must still match.
  if (!dt.isValid || dt.year !== year || dt.month !== month || dt.day !== day) return null;
  const onlyWeekday = c.isCertain('weekday') && !c.isCertain('day') && !c.isCertain('month');
  if (onlyWeekday && dt.toMillis() <= opts.now.getTime()) {
    dt = DateTime.fromObject(wall, { zone: opts.zone }).plus({ days: 7 });
  }
  return dt.toJSDate();
}

/** Builds the instant for a wall-clock time in `zone` (gap times move forward, overlaps take the later one). */
export function wallClockToInstant(
  wall: { year: number; month: number; day: number; hour: number; minute: number; second?: number },
  zone: string,
): Date | null {
  const dt = DateTime.fromObject(wall, { zone });
  if (!dt.isValid || dt.year !== wall.year || dt.month !== wall.month || dt.day !== wall.day) return null;
  return dt.toJSDate();
}
