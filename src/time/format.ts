/**
 * Short, deterministic human rendering of an instant in a zone. Names come from fixed tables
 * (not ICU), so the output does not change with the Node/ICU version.
 */
import { DateTime } from 'luxon';
import { assertZone, type TimeLocale } from './when.js';

const FR_WEEKDAYS = ['lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.', 'dim.'];
const FR_MONTHS = ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'];
const EN_WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Short rendering in `zone`: `aujourd'hui 18:00` / `demain 09:00` / `hier …` / `ven. 4 déc. 17:00` (`Fri 4 Dec 17:00`), year added if not `now`'s. */
export function formatWhen(at: Date, zone: string, locale: TimeLocale, now: Date): string {
  assertZone(zone);
  const d = DateTime.fromJSDate(at, { zone });
  const n = DateTime.fromJSDate(now, { zone });
  const time = hhmm(d);
  const fr = locale === 'fr';
  // Calendar days from now's local date to at's (each a wall-clock date, so DST does not count).
  const days = (Date.UTC(d.year, d.month - 1, d.day) - Date.UTC(n.year, n.month - 1, n.day)) / 86_400_000;
  if (days === 0) return `${fr ? "aujourd'hui" : 'today'} ${time}`;
  if (days === 1) return `${fr ? 'demain' : 'tomorrow'} ${time}`;
  if (days === -1) return `${fr ? 'hier' : 'yesterday'} ${time}`;
  const wd = (fr ? FR_WEEKDAYS : EN_WEEKDAYS)[d.weekday - 1];
  const mon = (fr ? FR_MONTHS : EN_MONTHS)[d.month - 1];
  const year = d.year !== n.year ? ` ${d.year}` : '';
  return `${wd} ${d.day} ${mon}${year} ${time}`;
}

/** `HH:mm` of a date-time's wall clock (cheaper than `toFormat`, which reads its pattern at every call). */
export function hhmm(d: DateTime): string {
  return `${String(d.hour).padStart(2, '0')}:${String(d.minute).padStart(2, '0')}`;
}

/** Renders `at` in `zone` as a full, unambiguous date: `ven. 4 déc. 2026 17:00` / `Fri 4 Dec 2026 17:00`. */
export function formatDateTime(at: Date, zone: string, locale: TimeLocale): string {
  assertZone(zone);
  const d = DateTime.fromJSDate(at, { zone });
  const fr = locale === 'fr';
  const wd = (fr ? FR_WEEKDAYS : EN_WEEKDAYS)[d.weekday - 1];
  const mon = (fr ? FR_MONTHS : EN_MONTHS)[d.month - 1];
  return `${wd} ${d.day} ${mon} ${d.year} ${hhmm(d)}`;
}
