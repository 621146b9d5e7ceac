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
  const time = d.toFormat('HH:mm');
  const day = d.toISODate();
  const fr = locale === 'fr';
  if (day === n.toISODate()) return `${fr ? "aujourd'hui" : 'today'} ${time}`;
  if (day === n.plus({ days: 1 }).toISODate()) return `${fr ? 'demain' : 'tomorrow'} ${time}`;
  if (day === n.minus({ days: 1 }).toISODate()) return `${fr ? 'hier' : 'yesterday'} ${time}`;
  const wd = (fr ? FR_WEEKDAYS : EN_WEEKDAYS)[d.weekday - 1];
  const mon = (fr ? FR_MONTHS : EN_MONTHS)[d.month - 1];
  const year = d.year !== n.year ? ` ${d.year}` : '';
  return `${wd} ${d.day} ${mon}${year} ${time}`;
}

/** Renders `at` in `zone` as a full, unambiguous date: `ven. 4 déc. 2026 17:00` / `Fri 4 Dec 2026 17:00`. */
export function formatDateTime(at: Date, zone: string, locale: TimeLocale): string {
  assertZone(zone);
  const d = DateTime.fromJSDate(at, { zone });
  const fr = locale === 'fr';
  const wd = (fr ? FR_WEEKDAYS : EN_WEEKDAYS)[d.weekday - 1];
  const mon = (fr ? FR_MONTHS : EN_MONTHS)[d.month - 1];
  return `${wd} ${d.day} ${mon} ${d.year} ${d.toFormat('HH:mm')}`;
}
