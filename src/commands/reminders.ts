/**
 * Reminder commands (`rappel`, `rappels`, `annuler`), their ✅ / ⏰ buttons, and how a fired
 * reminder reads.
 */
import type { Context } from '../core/context.js';
import { action, type ButtonDef, type CommandDef } from '../core/router.js';
import { fold, words } from '../core/text.js';
import type { OutboundMessage } from '../core/types.js';
import { cancelReminder, createReminder, listReminders, REMINDER_DEFAULT_HOUR, reminderByNumber, snoozeReminder } from '../domain/reminders.js';
import type { Reminder } from '../generated/prisma/client.js';
import type { Locale, Translate } from '../i18n/index.js';
import { describeRecurrence, formatWhen, parseRecurrence, parseWhen } from '../time/index.js';
import { pressReply, resolveWho, taskActions, taskLine } from './tasks.js';
import type { TaskView } from '../domain/tasks.js';
import { parseNumber, replyUsage } from './util.js';

/** Words that send a reminder to the bound council room. */
const ROOM_WORDS = new Set(['@salon', '@room', '@conseil', '@council', '@groupe', '@group']);

/** The ✅ / ⏰ buttons of a fired reminder. */
export function reminderActions(t: Translate, reminderId: string): OutboundMessage['buttons'] {
  return [
    [
      { label: t('reminders.button.done'), action: action('reminder.done', reminderId), emoji: '✅' },
      { label: t('reminders.button.snooze'), action: action('reminder.snooze', reminderId), emoji: '⏰' },
    ],
  ];
}

/** How a fired reminder reads: a user reminder, or a task's due/follow-up reminder with the task's buttons. */
export function renderReminder(t: Translate, r: Reminder, task: TaskView | null, lateMs: number, zone: string, locale: Locale, now: Date): OutboundMessage {
  const late = lateMs > 60_000 && r.nextAt ? `\n${t('reminders.late', { when: formatWhen(r.nextAt, zone, locale, now) })}` : '';
  if (task && (r.kind === 'TASK_DUE' || r.kind === 'TASK_FOLLOWUP')) {
    const head = t(r.kind === 'TASK_DUE' ? 'reminders.taskDue' : 'reminders.taskFollowup', { n: task.number, title: task.title });
    return { text: `${head}\n${taskLine(t, task, zone, locale, now)}${late}`, buttons: taskActions(t, task.id) };
  }
  return { text: `${t('reminders.fire', { text: r.text })}${late}`, buttons: reminderActions(t, r.id) };
}

/** One message summing up reminders missed while the bot was down. */
export function renderMissedSummary(t: Translate, list: Reminder[], zone: string, locale: Locale, now: Date): OutboundMessage {
  const lines = list.slice(0, 20).map((r) => t('reminders.missedLine', { text: r.text, when: formatWhen(r.nextAt ?? r.firstAt, zone, locale, now) }));
  return { text: [t('reminders.missedTitle', { count: list.length }), ...lines].join('\n') };
}

function whenText(ctx: Context, r: Reminder): string {
  const when = formatWhen(r.nextAt ?? r.firstAt, r.timezone, ctx.locale, ctx.now);
  return r.rrule ? ctx.tr('reminders.recurring', { rule: describeRecurrence(r.rrule, ctx.locale), when }) : ctx.tr('reminders.once', { when });
}

const rappel: CommandDef = {
  name: 'rappel',
  aliases: ['remind', 'reminder', 'rappelle'],
  summary: 'cmd.rappel.summary',
  usage: 'cmd.rappel.usage',
  requires: 'reminder.create',
  async run(ctx, args) {
    let toRoom = false;
    let who: string | undefined;
    const kept: string[] = [];
    for (const w of words(args)) {
      if (ROOM_WORDS.has(fold(w))) toRoom = true;
      else if (!who && w.startsWith('@')) who = w;
      else kept.push(w);
    }
    const text = kept.join(' ');
    const zone = ctx.member!.zone;
    const opts = { zone, locale: ctx.locale, now: ctx.now, defaultHour: REMINDER_DEFAULT_HOUR };
    const recurrence = parseRecurrence(text, opts);
    const once = recurrence ? null : parseWhen(text, opts);
    const found = recurrence ?? once;
    if (!found) return replyUsage(ctx, 'reminders.noWhen', 'cmd.rappel.usage');
    const what = `${text.slice(0, found.index)} ${text.slice(found.index + found.text.length)}`.replace(/^[\s,:;-]+|[\s,:;-]+$/g, '').replace(/\s+/g, ' ');
    if (!what) return replyUsage(ctx, 'reminders.noText', 'cmd.rappel.usage');
    const target = who ? await resolveWho(ctx, who) : undefined;
    let roomId: string | undefined;
    if (toRoom) {
      const { chat } = ctx.event;
      const here = await ctx.db.roomBinding.findFirst({ where: { communeId: ctx.actor.communeId, chatId: chat.chatId, workspace: chat.workspace, platform: ctx.actor.platform } });
      const room = here ?? (await ctx.db.roomBinding.findFirst({ where: { communeId: ctx.actor.communeId, purpose: 'COUNCIL' }, orderBy: { createdAt: 'desc' } }));
      if (!room) return replyUsage(ctx, 'reminders.noRoom', 'cmd.rappel.usage');
      roomId = room.id;
    }
    const r = await createReminder(
      ctx.db,
      ctx.actor,
      {
        text: what,
        at: recurrence ? recurrence.first : once!.at,
        rrule: recurrence?.rrule ?? null,
        zone,
        ...(target ? { targetMemberId: target.id } : {}),
        ...(roomId ? { targetRoomId: roomId } : {}),
      },
      ctx.now,
    );
    ctx.schedule([r.id]);
    const when = whenText(ctx, r);
    ctx.reply(
      target && target.id !== ctx.actor.memberId
        ? ctx.tr('reminders.createdFor', { n: r.number, who: target.displayName, text: r.text, when })
        : roomId
          ? ctx.tr('reminders.createdFor', { n: r.number, who: ctx.tr('reminders.toRoom'), text: r.text, when })
          : ctx.tr('reminders.created', { n: r.number, text: r.text, when }),
    );
  },
};

const rappels: CommandDef = {
  name: 'rappels',
  aliases: ['reminders'],
  summary: 'cmd.rappels.summary',
  usage: 'cmd.rappels.usage',
  requires: 'reminder.create',
  async run(ctx) {
    const list = await listReminders(ctx.db, ctx.actor);
    if (list.length === 0) return ctx.reply(ctx.tr('reminders.listEmpty'));
    const lines = list.map((r) => {
      const to = r.targetRoom ? ` (${ctx.tr('reminders.toRoom')})` : r.targetMemberId !== ctx.actor.memberId && r.targetMember ? ` (${r.targetMember.displayName})` : '';
      return `• ${ctx.tr('reminders.line', { n: r.number, text: `${r.text}${to}`, when: whenText(ctx, r) })}`;
    });
    ctx.reply([ctx.tr('reminders.listTitle', { count: list.length }), ...lines].join('\n'));
  },
};

const annuler: CommandDef = {
  name: 'annuler',
  aliases: ['cancel'],
  summary: 'cmd.annuler.summary',
  usage: 'cmd.annuler.usage',
  requires: 'reminder.create',
  async run(ctx, args) {
    const n = parseNumber(words(args)[0]);
    if (n === undefined) return replyUsage(ctx, 'reminders.badNumber', 'cmd.annuler.usage');
    const r = await cancelReminder(ctx.db, ctx.actor, await reminderByNumber(ctx.db, ctx.actor, n));
    ctx.reply(ctx.tr('reminders.cancelled', { n: r.number, text: r.text }));
  },
};

async function reminderForButton(ctx: Context, id: string): Promise<Reminder> {
  const found = await ctx.db.reminder.findFirst({ where: { id, communeId: ctx.actor.communeId }, select: { number: true } });
  return reminderByNumber(ctx.db, ctx.actor, found?.number ?? -1);
}

const doneButton: ButtonDef = {
  action: 'reminder.done',
  requires: 'reminder.create',
  async run(ctx, id) {
    const r = await reminderForButton(ctx, id);
    pressReply(ctx, ctx.tr('reminders.doneAck', { text: r.text }), ctx.tr('reminders.toast.done'));
  },
};

const snoozeButton: ButtonDef = {
  action: 'reminder.snooze',
  requires: 'reminder.create',
  async run(ctx, id) {
    const r = await snoozeReminder(ctx.db, ctx.actor, await reminderForButton(ctx, id), ctx.now);
    ctx.schedule([r.id]);
    const when = formatWhen(r.nextAt!, r.timezone, ctx.locale, ctx.now);
    pressReply(ctx, ctx.tr('reminders.snoozed', { when, text: r.text }), ctx.tr('reminders.toast.snoozed'));
  },
};

/** The reminder commands. */
export const reminderCommands: CommandDef[] = [rappel, rappels, annuler];
/** The reminder buttons. */
export const reminderButtons: ButtonDef[] = [doneButton, snoozeButton];
