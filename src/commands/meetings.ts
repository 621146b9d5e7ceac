/**
 * `reunion` / `meeting`: convene a meeting (council room + each attendee privately, with
 * Oui / Non / Peut-être buttons), show it, move it, cancel it; the RSVP buttons; and the
 * rendering of meeting reminders the reminder worker fires.
 */
import { DateTime } from 'luxon';
import type { Context } from '../core/context.js';
import { dbPlatform } from '../core/context.js';
import { memberRecipient, roomAddress, toMember } from '../core/recipients.js';
import { action, type ButtonDef, type CommandDef } from '../core/router.js';
import { fold, words } from '../core/text.js';
import type { Button, OutboundMessage } from '../core/types.js';
import {
  calendarToken,
  cancelMeeting,
  createMeeting,
  meetingByNumber,
  listUpcomingMeetings,
  meetingEnd,
  moveMeeting,
  rsvp,
  type MeetingChange,
  type MeetingView,
  type RsvpAnswer,
} from '../domain/meetings.js';
import { raw, toLocale, translator, type Locale, type MessageKey, type Translate } from '../i18n/index.js';
import { formatWhen, hhmm, parseWhen } from '../time/index.js';
import { pressReply, resolveWho } from './tasks.js';
import { parseNumber, replyUsage } from './util.js';

/** Hour a meeting starts when only a day is given (council meetings are evening affairs). */
export const MEETING_DEFAULT_HOUR = 18;

// ---------------------------------------------------------------------------------------------
// Rendering.

/** The Oui / Non / Peut-être buttons of a meeting (👍 👎 🤷 as reactions where there are no buttons). */
export function rsvpButtons(t: Translate, meetingId: string): Button[][] {
  return [
    [
      { label: t('meetings.button.yes'), action: action('meeting.yes', meetingId), emoji: '👍' },
      { label: t('meetings.button.no'), action: action('meeting.no', meetingId), emoji: '👎' },
      { label: t('meetings.button.maybe'), action: action('meeting.maybe', meetingId), emoji: '🤷' },
    ],
  ];
}

/** A length in minutes: `1 h 30`, `45 min`, `2 h`. */
export function formatDuration(t: Translate, minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return t('meetings.duration.m', { m });
  return m === 0 ? t('meetings.duration.h', { h }) : t('meetings.duration.hm', { h, m: String(m).padStart(2, '0') });
}

/** When a meeting is, in words: `demain à 18:30`, `jeu. 3 déc. à 18:30` (`Thu 3 Dec at 18:30`). */
export function meetingWhen(t: Translate, at: Date, zone: string, locale: Locale, now: Date): string {
  const full = formatWhen(at, zone, locale, now);
  // formatWhen always ends with the time ("… HH:mm"); the day part is what comes before.
  return t('meetings.when', { day: full.slice(0, -6), time: full.slice(-5) });
}

type Shown = { title: string; startsAt: Date; durationMin: number; place: string | null };

/** The time, length and place line of a meeting. */
export function meetingDetails(t: Translate, m: Shown, zone: string, locale: Locale, now: Date): string {
  const params = { when: meetingWhen(t, m.startsAt, zone, locale, now), duration: formatDuration(t, m.durationMin) };
  return m.place ? t('meetings.detailsPlace', { ...params, place: m.place }) : t('meetings.details', params);
}

function placeSuffix(t: Translate, place: string | null) {
  return raw(place ? t('meetings.place', { place }) : '');
}

/**
 * The message of a meeting reminder (fired by the reminder worker `offsetMinutes` before the
 * start): `📅 Rappel : Commission travaux demain à 18:30 (salle du conseil)` a day before,
 * `… dans 1 h, à 18:30 (…)` an hour before; with the RSVP buttons.
 */
export function meetingReminderMessage(
  t: Translate,
  meeting: { id: string; number: number; title: string; startsAt: Date; durationMin: number; place: string | null },
  offsetMinutes: number,
  zone: string,
  locale: Locale,
  now: Date,
): OutboundMessage {
  const place = placeSuffix(t, meeting.place);
  const left = Math.round((meeting.startsAt.getTime() - now.getTime()) / 60_000);
  let text: string;
  if (left <= 1) text = t('meetings.reminderNow', { title: meeting.title, place });
  else if (offsetMinutes >= 12 * 60 || left >= 12 * 60) {
    text = t('meetings.reminder', { title: meeting.title, when: meetingWhen(t, meeting.startsAt, zone, locale, now), place });
  } else {
    // A reminder a little late still says "in 1 h" rather than "in 58 min".
    const shown = Math.abs(left - offsetMinutes) <= 5 ? offsetMinutes : left;
    const time = hhmm(DateTime.fromJSDate(meeting.startsAt, { zone }));
    text = t('meetings.reminderSoon', { title: meeting.title, in: formatDuration(t, shown), time, place });
  }
  return { text, buttons: rsvpButtons(t, meeting.id) };
}

function answerLabel(t: Translate, answer: string): string {
  return t(`meetings.answer.${answer}` as MessageKey);
}

function counts(t: Translate, m: MeetingView): string {
  const n = (r: string) => m.attendees.filter((a) => a.rsvp === r).length;
  return t('meetings.counts', { yes: n('YES'), no: n('NO'), maybe: n('MAYBE'), pending: n('PENDING') });
}

function attendeeNames(t: Translate, m: MeetingView): string {
  return t('meetings.attendees', { count: m.attendees.length, names: m.attendees.map((a) => a.member.displayName).join(', ') });
}

// ---------------------------------------------------------------------------------------------
// Parsing.

/** What `reunion` arguments say. */
export interface MeetingArgs {
  title: string;
  /** Typed `@names` (and platform mentions). */
  who: string[];
  /** `@conseil` / `@council` was given. */
  council: boolean;
  startsAt?: Date;
  durationMin?: number;
  place?: string;
}

const COUNCIL_WORDS = new Set(['@conseil', '@council', '@elus', '@conseilmunicipal']);
const DURATION_RE =
  /^[\s,;:–—-]*(?:(?:pendant|duree|during|for|length)\s*:?\s*)?(?:(\d{1,2})\s*(?:h|heures?|hours?|hrs?)\s*(?:(\d{1,2})\s*(?:min(?:utes?)?|mn)?)?|(\d{1,3})\s*(?:min(?:utes?)?|mn))(?![\p{L}\d])/iu;
const RANGE_RE = /(\d{1,2})\s*(?:h|:)\s*(\d{2})?\s*(?:am|pm)?\s*(?:-|–|à|a|to|jusqu['’]?à)\s*(\d{1,2})\s*(?:h|:)?\s*(\d{2})?\s*(am|pm)?\s*$/iu;
const LEADING = /^[\s,;:–—-]*(?:(?:à|a|au|aux|at|in|en|lieu|place|salle\s*:)\s*:?\s+)?/iu;
const TRAILING = /(?:[\s,;:–—-]|\s(?:le|la|à|a|au|on|at|pour|for|du|de))+$/iu;

/** Reads a duration at the start of `text` (`1h30`, `45min`, `2 h`, `pendant 1h30`); its minutes and length. */
export function parseDuration(text: string): { minutes: number; length: number } | null {
  const m = DURATION_RE.exec(fold(text));
  if (!m) return null;
  const minutes = m[3] !== undefined ? Number(m[3]) : Number(m[1]) * 60 + Number(m[2] ?? 0);
  return { minutes, length: m[0].length };
}

/** Minutes between the two ends of a range a date match ends with (`18h-20h`, `6pm to 8pm`), if any. */
function rangeMinutes(matched: string): number | undefined {
  const m = RANGE_RE.exec(matched);
  if (!m) return undefined;
  const hour = (h: string, pm?: string) => (Number(h) % 12) + (pm?.toLowerCase() === 'pm' ? 12 : pm ? 0 : Number(h) >= 12 ? 12 : 0);
  const start = hour(m[1]!, m[5]) * 60 + Number(m[2] ?? 0);
  const end = hour(m[3]!, m[5]) * 60 + Number(m[4] ?? 0);
  const d = end - start;
  return d > 0 ? d : undefined;
}

/**
 * Splits `reunion` arguments. The rule (also in the usage): mentions anywhere (`@conseil`,
 * `@Prénom`); the title is what comes before the date; right after the date an optional
 * duration (`1h30`, `45min`, `2h`, or a range `18h-20h`), then the place. Without a title
 * before the date, the words after it are the title.
 */
export function splitMeetingArgs(
  args: string,
  isMentionWord: (w: string) => boolean,
  when: (text: string) => { at: Date; text: string; index: number } | null,
): MeetingArgs {
  const kept: string[] = [];
  const who: string[] = [];
  let council = false;
  for (const w of words(args)) {
    const clean = w.replace(/[,;:.!?]+$/u, '');
    if (COUNCIL_WORDS.has(fold(clean))) council = true;
    else if (isMentionWord(w)) who.push(clean);
    else kept.push(w);
  }
  const text = kept.join(' ');
  const found = when(text);
  if (!found) return { title: text.trim(), who, council };
  let after = text.slice(found.index + found.text.length);
  let durationMin = rangeMinutes(found.text);
  const d = parseDuration(after);
  if (d) {
    durationMin = d.minutes;
    after = after.slice(d.length);
  }
  let place = after.replace(LEADING, '').replace(/[\s,;.]+$/u, '').trim();
  let title = text.slice(0, found.index).replace(TRAILING, '').trim();
  if (!title && place) {
    title = place;
    place = '';
  }
  return { title, who, council, startsAt: found.at, ...(durationMin !== undefined ? { durationMin } : {}), ...(place ? { place } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Announcing.

function zoneOf(ctx: Context): string {
  return ctx.member?.zone ?? ctx.services.config.DEFAULT_TIMEZONE;
}

function isMention(ctx: Context, w: string): boolean {
  return w.startsWith('@') || (ctx.event.kind === 'message' && Boolean(ctx.event.mentions?.some((m) => m.text === w)));
}

/** The commune's council room (if bound and reachable), in the commune's language and zone; `here` if the event came from it. */
export async function councilRoom(ctx: Context) {
  const room = await ctx.db.roomBinding.findFirst({
    where: { communeId: ctx.actor.communeId, purpose: 'COUNCIL', unreachableAt: null },
    include: { commune: { select: { locale: true, timezone: true } } },
    orderBy: { createdAt: 'desc' },
  });
  if (!room) return undefined;
  const { chat } = ctx.event;
  const here = room.platform === dbPlatform(chat.platform) && room.workspace === chat.workspace && room.chatId === chat.chatId;
  const locale = toLocale(room.commune.locale) ?? ctx.services.config.DEFAULT_LOCALE;
  return { room, here, locale, t: translator(locale), zone: room.commune.timezone };
}

type Kind = 'created' | 'moved' | 'cancelled';

/**
 * Tells everyone concerned about a meeting change: the author here, the council room (unless
 * the command was typed there), and each other attendee privately, in their own words.
 */
export async function announceMeeting(ctx: Context, change: MeetingChange, kind: Kind): Promise<void> {
  const { meeting } = change;
  ctx.schedule(change.reminderIds);
  const by = ctx.member!.displayName;
  const n = meeting.number;
  const title = meeting.title;
  const buttons = kind === 'cancelled' ? undefined : (t: Translate) => rsvpButtons(t, meeting.id);
  const cancelledWhen = (t: Translate, zone: string, locale: Locale) => meetingWhen(t, meeting.startsAt, zone, locale, ctx.now);
  const roomText = (t: Translate, zone: string, locale: Locale, head: string) =>
    kind === 'cancelled' ? head : [head, meetingDetails(t, meeting, zone, locale, ctx.now), attendeeNames(t, meeting)].join('\n');
  const headHere = (t: Translate, zone: string, locale: Locale) =>
    kind === 'created'
      ? t('meetings.created', { n, title })
      : kind === 'moved'
        ? t('meetings.moved', { n, title })
        : t('meetings.cancelled', { n, title, when: cancelledWhen(t, zone, locale) });

  // Here.
  const zone = zoneOf(ctx);
  const lines = [roomText(ctx.t, zone, ctx.locale, headHere(ctx.t, zone, ctx.locale))];
  if (kind === 'created' && meeting.attendees.length === 1) lines.push(ctx.tr('meetings.onlyYou'));
  ctx.reply({ text: lines.join('\n'), ...(buttons ? { buttons: buttons(ctx.t) } : {}) });

  // The council room.
  const council = await councilRoom(ctx);
  if (council && !council.here) {
    const { t, zone: z, locale } = council;
    const head = kind === 'created' ? t('meetings.announce', { n, title, by }) : headHere(t, z, locale);
    ctx.send({
      to: roomAddress(council.room),
      message: { text: roomText(t, z, locale, head), ...(buttons ? { buttons: buttons(t) } : {}) },
      communeId: meeting.communeId,
    });
  }

  // Each attendee but the author, privately.
  for (const a of meeting.attendees) {
    if (a.memberId === ctx.actor.memberId) continue;
    await tellMember(ctx, a.memberId, (t, z, locale) => {
      if (kind === 'cancelled') return { text: t('meetings.cancelledNotice', { by, n, title, when: cancelledWhen(t, z, locale) }) };
      const head = kind === 'created' ? t('meetings.invite', { by, n, title }) : t('meetings.movedInvite', { by, n, title });
      return { text: [head, meetingDetails(t, meeting, z, locale, ctx.now), t('meetings.question')].join('\n'), buttons: rsvpButtons(t, meeting.id) };
    });
  }
}

/**
 * Queues a private message to a member, built in their language and zone (as `notifyMember`,
 * with the locale too, which dates need). False when the member cannot be reached.
 */
export async function tellMember(
  ctx: Context,
  memberId: string,
  build: (t: Translate, zone: string, locale: Locale) => OutboundMessage,
): Promise<boolean> {
  const r = await memberRecipient(ctx.db, memberId, { prefer: dbPlatform(ctx.event.chat.platform), fallbackLocale: ctx.services.config.DEFAULT_LOCALE });
  if (!r) return false;
  ctx.send(toMember(r, build(translator(r.locale), r.zone, r.locale)));
  return true;
}

// ---------------------------------------------------------------------------------------------
// Commands.

/** Shows one meeting: when, where, who answered what; for its attendees, RSVP buttons and (privately) its `.ics` link. */
async function showMeeting(ctx: Context, m: MeetingView): Promise<void> {
  const t = ctx.t;
  const zone = zoneOf(ctx);
  const lines = [t('meetings.showTitle', { n: m.number, title: m.title }), meetingDetails(t, m, zone, ctx.locale, ctx.now)];
  if (m.status === 'CANCELLED') lines.push(t('meetings.showCancelled'));
  lines.push(t('meetings.showBy', { by: m.createdBy.displayName }), counts(t, m));
  for (const a of m.attendees) lines.push(t('meetings.attendeeLine', { name: a.member.displayName, answer: answerLabel(t, a.rsvp) }));
  const open = m.status === 'SCHEDULED' && meetingEnd(m) > ctx.now;
  const mine = m.attendees.some((a) => a.memberId === ctx.actor.memberId);
  if (mine && ctx.event.chat.isDirect) {
    const token = await calendarToken(ctx.db, ctx.actor);
    lines.push(t('meetings.icsLink', { url: `${publicBase(ctx)}/ical/${token}/${m.number}.ics` }));
  }
  ctx.reply({ text: lines.join('\n'), ...(open && mine ? { buttons: rsvpButtons(t, m.id) } : {}) });
}

const MOVE_WORDS = new Set(['deplacer', 'move', 'reporter', 'decaler', 'reschedule', 'postpone']);
const CANCEL_WORDS = new Set(['annuler', 'cancel', 'supprimer', 'delete']);
const SHOW_WORDS = new Set(['voir', 'show', 'info', 'details']);

async function move(ctx: Context, n: number, rest: string): Promise<void> {
  const current = await meetingByNumber(ctx.db, ctx.actor, n);
  const zone = zoneOf(ctx);
  // Only a day given: keep the meeting's time of day.
  const local = DateTime.fromJSDate(current.startsAt, { zone });
  const found = rest ? parseWhen(rest, { zone, locale: ctx.locale, now: ctx.now, defaultHour: local.hour, defaultMinute: local.minute }) : null;
  if (!found) return replyUsage(ctx, 'meetings.badWhen', 'cmd.reunion.usage', { when: rest });
  const d = parseDuration(rest.slice(found.index + found.text.length));
  const durationMin = d?.minutes ?? rangeMinutes(found.text) ?? current.durationMin;
  await announceMeeting(ctx, await moveMeeting(ctx.db, ctx.actor, current, found.at, ctx.now, durationMin), 'moved');
}

const reunion: CommandDef = {
  name: 'reunion',
  aliases: ['meeting', 'reunions', 'meetings', 'convoquer'],
  summary: 'cmd.reunion.summary',
  usage: 'cmd.reunion.usage',
  requires: 'meeting.create',
  async run(ctx, args) {
    const [first = '', second, ...more] = words(args);
    const sub = fold(first);
    const n = parseNumber(second);
    // `reunion 3`, `reunion voir 3`: show it.
    const alone = parseNumber(first);
    if (alone !== undefined && !second) return showMeeting(ctx, await meetingByNumber(ctx.db, ctx.actor, alone));
    if (SHOW_WORDS.has(sub) && n !== undefined) return showMeeting(ctx, await meetingByNumber(ctx.db, ctx.actor, n));
    if (MOVE_WORDS.has(sub) && n !== undefined) return move(ctx, n, more.join(' '));
    if (CANCEL_WORDS.has(sub) && n !== undefined) {
      const current = await meetingByNumber(ctx.db, ctx.actor, n);
      return announceMeeting(ctx, await cancelMeeting(ctx.db, ctx.actor, current, ctx.now), 'cancelled');
    }
    if ((MOVE_WORDS.has(sub) || CANCEL_WORDS.has(sub) || SHOW_WORDS.has(sub)) && words(args).length <= 2) {
      return replyUsage(ctx, 'meetings.badNumber', 'cmd.reunion.usage');
    }

    const zone = zoneOf(ctx);
    const parsed = splitMeetingArgs(args, (w) => isMention(ctx, w), (text) =>
      parseWhen(text, { zone, locale: ctx.locale, now: ctx.now, defaultHour: MEETING_DEFAULT_HOUR }),
    );
    if (!parsed.startsAt) {
      return parsed.title ? replyUsage(ctx, 'meetings.noWhen', 'cmd.reunion.usage', { text: parsed.title }) : replyUsage(ctx, 'meetings.noTitle', 'cmd.reunion.usage');
    }
    if (!parsed.title) return replyUsage(ctx, 'meetings.noTitle', 'cmd.reunion.usage');
    const named = [];
    for (const w of parsed.who) named.push((await resolveWho(ctx, w)).id);
    const change = await createMeeting(
      ctx.db,
      ctx.actor,
      {
        title: parsed.title,
        startsAt: parsed.startsAt,
        ...(parsed.durationMin !== undefined ? { durationMin: parsed.durationMin } : {}),
        place: parsed.place ?? null,
        // `@conseil @Sophie`: the council plus the named people.
        attendees: parsed.council ? 'council' : named,
        ...(parsed.council ? { alsoInvite: named } : {}),
      },
      ctx.now,
    );
    await announceMeeting(ctx, change, 'created');
  },
};

// ---------------------------------------------------------------------------------------------
// The agenda's meetings half.

/** The agenda's meetings lines: the member's meetings until `until`, with their own answer (none: empty). */
export async function agendaMeetingLines(ctx: Context, until: Date): Promise<string[]> {
  const meetings = await listUpcomingMeetings(ctx.db, ctx.actor.memberId, ctx.now, until);
  const zone = zoneOf(ctx);
  const lines: string[] = [];
  for (const m of meetings) {
    const line = ctx.tr('agenda.meetingLine', {
      when: meetingWhen(ctx.t, m.startsAt, zone, ctx.locale, ctx.now),
      n: m.number,
      title: m.title,
      place: placeSuffix(ctx.t, m.place),
      answer: answerLabel(ctx.t, m.rsvp),
    });
    lines.push(`• ${line}`);
  }
  return lines;
}

/** The base of public links: `PUBLIC_URL`, else this process's HTTP port on localhost. */
export function publicBase(ctx: Context): string {
  const { PUBLIC_URL, HTTP_PORT } = ctx.services.config;
  return (PUBLIC_URL ?? `http://localhost:${HTTP_PORT}`).replace(/\/+$/, '');
}

/** `agenda lien [nouveau]`: the member's private iCal feed URL, sent privately (a new one on request). */
export async function sendCalendarLink(ctx: Context, rotate: boolean): Promise<void> {
  const token = await calendarToken(ctx.db, ctx.actor, rotate);
  const url = `${publicBase(ctx)}/ical/${token}.ics`;
  const sent = await tellMember(ctx, ctx.actor.memberId, (t) => ({
    text: [...(rotate ? [t('agenda.linkRotated')] : []), t('agenda.link', { url })].join('\n'),
  }));
  if (!sent) return void ctx.reply({ text: ctx.tr('agenda.linkNoPrivate'), ephemeralFor: ctx.event.sender.userId });
  if (!ctx.event.chat.isDirect) ctx.reply(ctx.tr('agenda.linkSent'));
}

// ---------------------------------------------------------------------------------------------
// Buttons.

function rsvpButton(answer: RsvpAnswer, name: string): ButtonDef {
  return {
    action: name,
    requires: 'member',
    async run(ctx, meetingId) {
      const r = await rsvp(ctx.db, ctx.actor, meetingId, answer, ctx.now);
      const t = ctx.t;
      const m = r.meeting;
      const zone = zoneOf(ctx);
      const head = t('meetings.showTitle', { n: m.number, title: m.title });
      const details = meetingDetails(t, m, zone, ctx.locale, ctx.now);
      const label = answerLabel(t, answer);
      // In a direct chat the message is the member's own; in a room everyone sees the counts.
      const status = ctx.event.chat.isDirect ? t('meetings.yourAnswer', { answer: label }) : counts(t, m);
      pressReply(ctx, [head, details, status].join('\n'), t(r.changed ? 'meetings.toast' : 'meetings.toastSame', { answer: label }), rsvpButtons(t, m.id));
    },
  };
}

/** The meeting command. */
export const meetingCommands: CommandDef[] = [reunion];
/** The RSVP buttons. */
export const meetingButtons: ButtonDef[] = [
  rsvpButton('YES', 'meeting.yes'),
  rsvpButton('NO', 'meeting.no'),
  rsvpButton('MAYBE', 'meeting.maybe'),
];
