/** `resume <heure>|off [salon]`: the morning digest of a member or of the council room, and how it reads. */
import type { CommandDef } from '../core/router.js';
import { fold, words } from '../core/text.js';
import type { OutboundMessage } from '../core/types.js';
import { audit } from '../domain/audit.js';
import type { DigestContent } from '../domain/digest.js';
import { assertCan } from '../domain/permissions.js';
import type { Locale, Translate } from '../i18n/index.js';
import { formatWhen } from '../time/index.js';
import { replyUsage } from './util.js';

const OFF = new Set(['off', 'non', 'stop', 'arret', 'aucun', 'none', 'no']);
const ROOM = new Set(['salon', 'room', 'conseil', 'council']);

/** Reads a wall-clock time (`7h30`, `7:30`, `07h`, `7am`, `7.30pm`) as `HH:mm`, or undefined. */
export function parseClock(text: string): string | undefined {
  const m = /^(\d{1,2})(?:\s*[h:.]\s*(\d{2})?)?\s*(am|pm)?$/i.exec(text.trim());
  if (!m) return undefined;
  let h = Number(m[1]);
  const min = m[2] ? Number(m[2]) : 0;
  const ampm = m[3]?.toLowerCase();
  if (ampm === 'pm' && h < 12) h += 12;
  if (ampm === 'am' && h === 12) h = 0;
  if (h > 23 || min > 59 || (ampm && Number(m[1]) > 12)) return undefined;
  return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
}

const resume: CommandDef = {
  name: 'resume',
  aliases: ['digest'],
  summary: 'cmd.resume.summary',
  usage: 'cmd.resume.usage',
  requires: 'member',
  async run(ctx, args) {
    const parts = words(args);
    const room = parts.some((w) => ROOM.has(fold(w)));
    const rest = parts.filter((w) => !ROOM.has(fold(w))).join(' ');
    const off = OFF.has(fold(rest));
    const time = off ? null : parseClock(rest);
    if (!off && !time) return replyUsage(ctx, 'digest.badTime', 'cmd.resume.usage', { time: rest });
    const actor = ctx.actor;
    if (room) {
      assertCan(actor, 'room.bind');
      const before = await ctx.db.commune.findUniqueOrThrow({ where: { id: actor.communeId }, select: { roomDigestTime: true } });
      await ctx.db.commune.update({ where: { id: actor.communeId }, data: { roomDigestTime: time } });
      await audit(ctx.db, actor, { action: 'commune.digest', entityType: 'commune', entityId: actor.communeId, before, after: { roomDigestTime: time } });
      ctx.reply(time ? ctx.tr('digest.setRoom', { time }) : ctx.tr('digest.offRoom'));
      return;
    }
    const before = await ctx.db.member.findUniqueOrThrow({ where: { id: actor.memberId }, select: { digestTime: true } });
    await ctx.db.member.update({ where: { id: actor.memberId }, data: { digestTime: time } });
    await audit(ctx.db, actor, { action: 'member.digest', entityType: 'member', entityId: actor.memberId, before, after: { digestTime: time } });
    ctx.reply(time ? ctx.tr('digest.set', { time }) : ctx.tr('digest.off'));
  },
};

/** How a digest reads. */
export function renderDigest(
  t: Translate,
  d: DigestContent,
  o: { zone: string; locale: Locale; now: Date; date: string; name?: string; commune?: string },
): OutboundMessage {
  const when = (at: Date) => formatWhen(at, o.zone, o.locale, o.now);
  const lines = [o.commune ? t('digest.roomTitle', { commune: o.commune, date: o.date }) : t('digest.title', { name: o.name ?? '', date: o.date })];
  const section = (title: string, items: string[]) => {
    if (items.length) lines.push('', title, ...items.map((i) => `• ${i}`));
  };
  section(t('digest.overdue'), d.overdue.map((x) => `${t('tasks.line', { n: x.number, title: x.title })} — ${t('tasks.due', { when: when(x.dueAt) })}`));
  section(t('digest.dueToday'), d.dueToday.map((x) => `${t('tasks.line', { n: x.number, title: x.title })} — ${when(x.dueAt)}`));
  section(t('digest.meetings'), d.meetings.map((m) => `${when(m.startsAt)} — ${m.title}${m.place ? ` (${m.place})` : ''}`));
  section(t('digest.reminders'), d.reminders.map((r) => `${when(r.at)} — ${r.text}`));
  if (d.changes.created + d.changes.done + d.changes.other > 0) lines.push('', t('digest.changes', d.changes));
  return { text: lines.join('\n') };
}

/** The digest command. */
export const digestCommands: CommandDef[] = [resume];
