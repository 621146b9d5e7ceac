/** Dates, recurrences and their rendering, read in a commune's IANA zone. */
export {
  parseWhen,
  isValidZone,
  assertZone,
  hasImpossibleDate,
  wallClockToInstant,
  type TimeLocale,
  type WhenOptions,
  type WhenMatch,
} from './when.js';
export { parseRecurrence, nextOccurrence, describeRecurrence, type RecurrenceMatch } from './recurrence.js';
export { formatWhen, formatDateTime, hhmm } from './format.js';
