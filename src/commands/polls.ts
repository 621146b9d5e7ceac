/**
 * `sondage` / `poll`: propose 2 to 6 dates, vote with one button per slot (pressing again takes
 * the vote back), see the tally, and close the poll, which turns the best slot into a meeting.
 */
import type { Context } from '../core/context.js';
import { escapeMarkup } from '../core/format.js';
import { roomAddress } from '../core/recipients.js';
import { action, type ButtonDef, type CommandDef } from '../core/router.js';
import { fold, words } from '../core/text.js';
import type { Button, OutboundMessage } from '../core/types.js';
import { COUNCIL_ROLES } from '../domain/meetings.js';
import { closePoll, createPoll, pollByNumber, pollBySlot, pollResults, POLL_SLOTS, vote, type NewSlot, type PollView } from '../domain/polls.js';
import { raw, type Locale, type Translate } from '../i18n/index.js';
import { parseWhen } from '../time/index.js';
import { announceMeeting, councilRoom, MEETING_DEFAULT_HOUR, meetingWhen, parseDuration, tellMember } from './meetings.js';
import { pressReply } from './tasks.js';
import { parseNumber, replyUsage } from './util.js';

const KEYCAPS = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣', '6️⃣'];

function zoneOf(ctx: Context): string {
  return ctx.member?.zone ?? ctx.services.config.DEFAULT_TIMEZONE;
}

/** One button per slot (`1️⃣ mar. 8 déc. à 18:00`), two per row; reactions default to the keycaps. */
export function slotButtons(t: Translate, poll: PollView, zone: string, locale: Locale, now: Date): Button[][] {
  const buttons = poll.slots.map((s, i) => ({
    label: `${KEYCAPS[i] ?? i + 1} ${meetingWhen(t, s.startsAt, zone, locale, now)}`,
    action: action('poll.vote', s.id),
  }));
  const rows: Button[][] = [];
  for (let i = 0; i < buttons.length; i += 2) rows.push(buttons.slice(i, i + 2));
  return rows;
}

/** A poll as posted: its head line, how to vote, each slot with its count of Yes; buttons while open. */
export function pollMessage(t: Translate, poll: PollView, head: string, zone: string, locale: Locale, now: Date): OutboundMessage {
  const lines = [head];
  if (poll.status === 'OPEN') lines.push(t('polls.howTo'));
  for (const [i, s] of poll.slots.entries()) {
    const count = s.votes.filter((v) => v.answer === 'YES').length;
    lines.push(t('polls.slotLine', { key: KEYCAPS[i] ?? String(i + 1), when: meetingWhen(t, s.startsAt, zone, locale, now), count }));
  }
  if (poll.status !== 'OPEN') lines.push(t('polls.closedStatus'));
  return { text: lines.join('\n'), ...(poll.status === 'OPEN' ? { buttons: slotButtons(t, poll, zone, locale, now) } : {}) };
}

/** Reads `<titre> ; <créneau> ; …`; a slot that is not a date is named back. */
function parseSlots(ctx: Context, args: string): { title: string; slots: NewSlot[] } | { bad: string } | { count: true } {
  const parts = args.split(/[;|]/u).map((p) => p.trim());
  const [title = '', ...texts] = parts;
  const slots = texts.filter(Boolean);
  if (slots.length < POLL_SLOTS.min || slots.length > POLL_SLOTS.max) return { count: true };
  const zone = zoneOf(ctx);
  const out: NewSlot[] = [];
  for (const label of slots) {
    const found = parseWhen(label, { zone, locale: ctx.locale, now: ctx.now, defaultHour: MEETING_DEFAULT_HOUR });
    if (!found) return { bad: label };
    out.push({ startsAt: found.at, label });
  }
  return { title, slots: out };
}

/** Posts a new poll where it was asked, to the council room, or (no room) to each councillor privately. */
async function distribute(ctx: Context, poll: PollView): Promise<void> {
  const zone = zoneOf(ctx);
  ctx.reply(pollMessage(ctx.t, poll, ctx.tr('polls.created', { n: poll.number, title: poll.title }), zone, ctx.locale, ctx.now));
  const by = ctx.member!.displayName;
  const council = await councilRoom(ctx);
  if (council) {
    const { t, locale } = council;
    if (!council.here) {
      ctx.send({
        to: roomAddress(council.room),
        message: pollMessage(t, poll, t('polls.posted', { by, n: poll.number, title: poll.title }), council.zone, locale, ctx.now),
        communeId: poll.communeId,
      });
    }
    return;
  }
  const councillors = await ctx.db.member.findMany({
    where: { communeId: ctx.actor.communeId, erasedAt: null, role: { in: [...COUNCIL_ROLES] }, id: { not: ctx.actor.memberId } },
    select: { id: true },
  });
  for (const m of councillors) {
    await tellMember(ctx, m.id, (t, z, locale) => pollMessage(t, poll, t('polls.posted', { by, n: poll.number, title: poll.title }), z, locale, ctx.now));
  }
}

function showResults(ctx: Context, poll: PollView): void {
  const result = pollResults(ctx.actor, poll);
  const t = ctx.t;
  const zone = zoneOf(ctx);
  const when = (at: Date) => meetingWhen(t, at, zone, ctx.locale, ctx.now);
  const lines = [t('polls.resultsTitle', { n: poll.number, title: poll.title, voters: result.voters.length })];
  for (const [i, s] of result.slots.entries()) {
    const names = raw(s.yes.length ? ` (${s.yes.map(escapeMarkup).join(', ')})` : '');
    lines.push(t('polls.resultLine', { key: KEYCAPS[i] ?? String(i + 1), when: when(s.startsAt), yes: s.yes.length, names }));
  }
  if (result.best) lines.push(t('polls.best', { when: when(result.best.startsAt) }));
  else lines.push(t('polls.noVotes'));
  if (poll.status === 'OPEN' && result.best) lines.push(t('polls.closeHint', { n: poll.number }));
  if (poll.status !== 'OPEN') lines.push(t('polls.closedStatus'));
  ctx.reply(lines.join('\n'));
}

const RESULT_WORDS = new Set(['resultats', 'resultat', 'results', 'result', 'tally', 'score', 'bilan']);
const CLOSE_WORDS = new Set(['clore', 'clos', 'cloturer', 'fermer', 'close', 'end', 'terminer']);
const SHOW_WORDS = new Set(['voir', 'show']);

const sondage: CommandDef = {
  name: 'sondage',
  aliases: ['poll', 'sondages', 'polls', 'doodle'],
  summary: 'cmd.sondage.summary',
  usage: 'cmd.sondage.usage',
  requires: 'poll.create',
  async run(ctx, args) {
    const [first = '', second, ...more] = words(args);
    const sub = fold(first);
    const n = parseNumber(second);
    const alone = parseNumber(first);
    const zone = zoneOf(ctx);
    if (alone !== undefined && !second) {
      const poll = await pollByNumber(ctx.db, ctx.actor, alone);
      return ctx.reply(pollMessage(ctx.t, poll, ctx.tr('polls.created', { n: poll.number, title: poll.title }), zone, ctx.locale, ctx.now));
    }
    if (!args.includes(';') && (RESULT_WORDS.has(sub) || CLOSE_WORDS.has(sub) || SHOW_WORDS.has(sub))) {
      if (n === undefined) return replyUsage(ctx, 'polls.badNumber', 'cmd.sondage.usage');
      const poll = await pollByNumber(ctx.db, ctx.actor, n);
      if (SHOW_WORDS.has(sub)) return ctx.reply(pollMessage(ctx.t, poll, ctx.tr('polls.created', { n: poll.number, title: poll.title }), zone, ctx.locale, ctx.now));
      if (RESULT_WORDS.has(sub)) return showResults(ctx, poll);
      // `sondage clore 2 [durée] [lieu]`
      let rest = more.join(' ');
      const d = parseDuration(rest);
      if (d) rest = rest.slice(d.length);
      const place = rest.replace(/^[\s,;:–—-]*(?:(?:à|a|au|at|in|en)\s+)?/iu, '').trim();
      const closed = await closePoll(ctx.db, ctx.actor, poll, ctx.now, { ...(d ? { durationMin: d.minutes } : {}), place: place || null });
      const best = closed.tally.best!;
      ctx.reply(ctx.tr('polls.closedDone', { n: poll.number, when: meetingWhen(ctx.t, best.startsAt, zone, ctx.locale, ctx.now), yes: best.yes.length }));
      await announceMeeting(ctx, closed, 'created');
      return;
    }
    const parsed = parseSlots(ctx, args);
    if ('count' in parsed) return replyUsage(ctx, 'polls.slotCount', 'cmd.sondage.usage', { min: POLL_SLOTS.min, max: POLL_SLOTS.max });
    if ('bad' in parsed) return replyUsage(ctx, 'polls.badSlot', 'cmd.sondage.usage', { slot: parsed.bad });
    if (!parsed.title) return replyUsage(ctx, 'polls.noTitle', 'cmd.sondage.usage');
    await distribute(ctx, await createPoll(ctx.db, ctx.actor, parsed.title, parsed.slots, ctx.now));
  },
};

const voteButton: ButtonDef = {
  action: 'poll.vote',
  requires: 'agenda.read',
  async run(ctx, slotId) {
    const { poll, slotId: id } = await pollBySlot(ctx.db, ctx.actor, slotId);
    const r = await vote(ctx.db, ctx.actor, poll, { slotId: id });
    const zone = zoneOf(ctx);
    const slot = r.poll.slots.find((s) => s.position === r.position)!;
    const when = meetingWhen(ctx.t, slot.startsAt, zone, ctx.locale, ctx.now);
    const msg = pollMessage(ctx.t, r.poll, ctx.tr('polls.created', { n: r.poll.number, title: r.poll.title }), zone, ctx.locale, ctx.now);
    pressReply(ctx, msg.text, ctx.tr(r.yes ? 'polls.toastYes' : 'polls.toastNo', { when }), msg.buttons);
  },
};

/** The poll command. */
export const pollCommands: CommandDef[] = [sondage];
/** The poll buttons. */
export const pollButtons: ButtonDef[] = [voteButton];
