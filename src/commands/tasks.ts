/**
 * Task commands: `tache`, `taches`, `fait`, `rouvrir`, `assigner`, `reporter`, and the ✅ / ⏰
 * buttons every task reply carries.
 */
import type { Context } from '../core/context.js';
import { dbPlatform } from '../core/context.js';
import { action, type ButtonDef, type CommandDef } from '../core/router.js';
import { fold, words } from '../core/text.js';
import type { OutboundMessage } from '../core/types.js';
import { findMemberByAccount, findMemberByName, findProjectByTag, type MemberRef } from '../domain/directory.js';
import {
  assignTask,
  completeTask,
  createTask,
  listTasks,
  postponeTask,
  reopenTask,
  taskById,
  taskByNumber,
  type TaskFilter,
  type TaskView,
} from '../domain/tasks.js';
import type { Translate } from '../i18n/index.js';
import { formatWhen, parseWhen } from '../time/index.js';
import { syncTaskReminders } from '../domain/reminders.js';
import { DateTime } from 'luxon';
import { notifyMember } from './notify.js';
import { parseNumber, replyUsage } from './util.js';

/** Hour a task is due when only a day is given (SPEC section 2). */
export const TASK_DEFAULT_HOUR = 18;

/** One line describing a task: number, title, assignee, due date, overdue mark. */
export function taskLine(t: Translate, task: TaskView, zone: string, locale: 'fr' | 'en', now: Date): string {
  const parts = [t('tasks.line', { n: task.number, title: task.title })];
  if (task.assignee) parts.push(t('tasks.for', { who: task.assignee.displayName }));
  if (task.dueAt) {
    parts.push(t('tasks.due', { when: formatWhen(task.dueAt, zone, locale, now) }));
    if (task.status === 'OPEN' && task.dueAt < now) parts.push(t('tasks.overdue'));
  }
  if (task.project) parts.push(t('tasks.inProject', { project: task.project.name }));
  return parts.join(' — ');
}

/** The ✅ Fait / ⏰ Reporter buttons of a task. */
export function taskActions(t: Translate, taskId: string): OutboundMessage['buttons'] {
  return [
    [
      { label: t('tasks.button.done'), action: action('task.done', taskId), emoji: '✅' },
      { label: t('tasks.button.snooze'), action: action('task.snooze', taskId), emoji: '⏰' },
    ],
  ];
}

/**
 * Brings the task's reminders (due time, next morning) in step after a change; schedules them
 * after commit. `fresh`: the task was just created (nothing to look up).
 */
async function synced(ctx: Context, task: TaskView, fresh = false): Promise<TaskView> {
  ctx.schedule(await syncTaskReminders(ctx.db, task, ctx.member!.commune.timezone, ctx.now, fresh));
  return task;
}

function zoneOf(ctx: Context): string {
  return ctx.member?.zone ?? ctx.services.config.DEFAULT_TIMEZONE;
}

/** Resolves a typed `@who` (or platform mention) to a member of the sender's commune. */
export async function resolveWho(ctx: Context, token: string): Promise<MemberRef> {
  const communeId = ctx.actor.communeId;
  const { chat } = ctx.event;
  const mention = ctx.event.kind === 'message' ? ctx.event.mentions?.find((m) => m.text === token) : undefined;
  const account = { platform: dbPlatform(chat.platform), workspace: chat.workspace };
  if (mention) {
    const byId = await findMemberByAccount(ctx.db, communeId, { ...account, userId: mention.userId });
    if (byId) return byId;
  } else if (chat.platform === 'telegram' && token.startsWith('@')) {
    const byUsername = await findMemberByAccount(ctx.db, communeId, { ...account, username: token.slice(1) });
    if (byUsername) return byUsername;
  }
  return findMemberByName(ctx.db, communeId, token);
}

/** Is this word a mention (`@name`, or the text of a platform mention)? */
function isMention(ctx: Context, w: string): boolean {
  return w.startsWith('@') || (ctx.event.kind === 'message' && Boolean(ctx.event.mentions?.some((m) => m.text === w)));
}

const DUE_KEYWORDS = /(?:^|\s)(pour|for|avant|before|due|d['’]ici|by|échéance|echeance)\s+/giu;

/**
 * Splits `tache` arguments into title, assignee token, project tag and due date. The date is
 * what follows a keyword (`pour`, `for`, `avant`…) or ends the text.
 */
export function splitTaskArgs(
  args: string,
  isMentionWord: (w: string) => boolean,
  when: (text: string) => { at: Date; text: string; index: number } | null,
): { title: string; who?: string; tag?: string; dueAt?: Date; badWhen?: string } {
  const kept: string[] = [];
  let who: string | undefined;
  let tag: string | undefined;
  for (const w of words(args)) {
    if (!who && isMentionWord(w)) who = w.replace(/[,;:.!?]+$/u, '');
    else if (!tag && /^#\p{L}/u.test(w)) tag = w.replace(/[,;:.!?]+$/u, '');
    else kept.push(w);
  }
  let text = kept.join(' ');
  const matches = [...text.matchAll(DUE_KEYWORDS)];
  for (const m of matches.reverse()) {
    const after = text.slice(m.index + m[0].length);
    const found = when(after);
    if (found && found.index <= 3) {
      const title = `${text.slice(0, m.index)} ${after.slice(found.index + found.text.length)}`.replace(/\s+/g, ' ').trim();
      return { title, ...(who ? { who } : {}), ...(tag ? { tag } : {}), dueAt: found.at };
    }
  }
  const trailing = when(text);
  if (trailing && trailing.index + trailing.text.length >= text.trimEnd().length && trailing.index > 0) {
    text = text.slice(0, trailing.index).trim();
    return { title: text, ...(who ? { who } : {}), ...(tag ? { tag } : {}), dueAt: trailing.at };
  }
  return { title: text, ...(who ? { who } : {}), ...(tag ? { tag } : {}) };
}

function whenParser(ctx: Context, defaultHour: number) {
  return (text: string) => parseWhen(text, { zone: zoneOf(ctx), locale: ctx.locale, now: ctx.now, defaultHour });
}

async function createAndSync(ctx: Context, input: Parameters<typeof createTask>[2]): Promise<TaskView> {
  return synced(ctx, await createTask(ctx.db, ctx.actor, input), true);
}

const tache: CommandDef = {
  name: 'tache',
  aliases: ['task', 'todo'],
  summary: 'cmd.tache.summary',
  usage: 'cmd.tache.usage',
  requires: 'task.create',
  async run(ctx, args) {
    const parsed = splitTaskArgs(args, (w) => isMention(ctx, w), whenParser(ctx, TASK_DEFAULT_HOUR));
    if (!parsed.title) return replyUsage(ctx, 'tasks.noTitle', 'cmd.tache.usage');
    const assignee = parsed.who ? await resolveWho(ctx, parsed.who) : undefined;
    const project = parsed.tag ? await findProjectByTag(ctx.db, ctx.actor.communeId, parsed.tag) : undefined;
    const task = await createAndSync(ctx, {
      title: parsed.title,
      dueAt: parsed.dueAt ?? null,
      assigneeId: assignee?.id ?? null,
      projectId: project?.id ?? null,
    });
    const zone = zoneOf(ctx);
    ctx.reply({
      text: `${ctx.tr('tasks.created', { n: task.number, title: task.title })}\n${taskLine(ctx.t, task, zone, ctx.locale, ctx.now)}`,
      buttons: taskActions(ctx.t, task.id),
    });
    if (assignee && assignee.id !== ctx.actor.memberId) await tellAssignee(ctx, task);
  },
};

async function tellAssignee(ctx: Context, task: TaskView): Promise<void> {
  if (!task.assigneeId) return;
  const by = ctx.member?.displayName ?? '';
  await notifyMember(ctx, task.assigneeId, (t, zone) => ({
    text: `${t('tasks.assignedToYou', { by, n: task.number, title: task.title })}\n${taskLine(t, task, zone, ctx.locale, ctx.now)}`,
    buttons: taskActions(t, task.id),
  }));
}

const FILTERS: Record<string, TaskFilter['kind']> = {
  miennes: 'mine', mine: 'mine', mes: 'mine', moi: 'mine', me: 'mine',
  toutes: 'all', tout: 'all', all: 'all',
  retard: 'overdue', retards: 'overdue', overdue: 'overdue', late: 'overdue',
};

const taches: CommandDef = {
  name: 'taches',
  aliases: ['tasks', 'liste'],
  summary: 'cmd.taches.summary',
  usage: 'cmd.taches.usage',
  requires: 'task.read',
  async run(ctx, args) {
    const word = args.trim();
    let filter: TaskFilter = { kind: 'all' };
    let who: MemberRef | undefined;
    if (word) {
      const kind = FILTERS[fold(word)];
      if (kind === 'all' || kind === 'mine' || kind === 'overdue') filter = { kind };
      else if (isMention(ctx, word) || words(word).length <= 2) {
        who = await resolveWho(ctx, word).catch((err) => {
          if (word.startsWith('@')) throw err;
          return undefined;
        });
        if (!who) return replyUsage(ctx, 'tasks.badFilter', 'cmd.taches.usage', { filter: word });
        filter = { kind: 'member', memberId: who.id };
      } else return replyUsage(ctx, 'tasks.badFilter', 'cmd.taches.usage', { filter: word });
    }
    const { tasks, total } = await listTasks(ctx.db, ctx.actor, filter, ctx.now);
    const title =
      filter.kind === 'member'
        ? ctx.tr('tasks.listTitle.member', { who: who!.displayName, total })
        : ctx.tr(`tasks.listTitle.${filter.kind}`, { total });
    const zone = zoneOf(ctx);
    const lines = tasks.map((task) => `• ${taskLine(ctx.t, task, zone, ctx.locale, ctx.now)}`);
    if (total > tasks.length) lines.push(ctx.tr('tasks.listMore', { more: total - tasks.length }));
    ctx.reply([title, ...(lines.length ? lines : [ctx.tr('tasks.listEmpty')])].join('\n'));
  },
};

/** Reads the task number that starts `args`; replies with the usage and returns undefined if absent. */
function numberArg(ctx: Context, args: string, usage: 'cmd.fait.usage' | 'cmd.rouvrir.usage' | 'cmd.assigner.usage' | 'cmd.reporter.usage') {
  const [first, ...rest] = words(args);
  const n = parseNumber(first);
  if (n === undefined) replyUsage(ctx, 'tasks.badNumber', usage);
  return n === undefined ? undefined : { n, rest: rest.join(' ') };
}

const fait: CommandDef = {
  name: 'fait',
  aliases: ['done', 'terminer', 'finir'],
  summary: 'cmd.fait.summary',
  usage: 'cmd.fait.usage',
  requires: 'task.read',
  async run(ctx, args) {
    const a = numberArg(ctx, args, 'cmd.fait.usage');
    if (!a) return;
    const task = await synced(ctx, await completeTask(ctx.db, ctx.actor, await taskByNumber(ctx.db, ctx.actor, a.n, true), ctx.now));
    ctx.reply(ctx.tr('tasks.done', { n: task.number, title: task.title }));
  },
};

const rouvrir: CommandDef = {
  name: 'rouvrir',
  aliases: ['reopen'],
  summary: 'cmd.rouvrir.summary',
  usage: 'cmd.rouvrir.usage',
  requires: 'task.read',
  async run(ctx, args) {
    const a = numberArg(ctx, args, 'cmd.rouvrir.usage');
    if (!a) return;
    const task = await synced(ctx, await reopenTask(ctx.db, ctx.actor, await taskByNumber(ctx.db, ctx.actor, a.n, true)));
    ctx.reply({ text: ctx.tr('tasks.reopened', { n: task.number, title: task.title }), buttons: taskActions(ctx.t, task.id) });
  },
};

const assigner: CommandDef = {
  name: 'assigner',
  aliases: ['assign', 'confier'],
  summary: 'cmd.assigner.summary',
  usage: 'cmd.assigner.usage',
  requires: 'task.read',
  async run(ctx, args) {
    const a = numberArg(ctx, args, 'cmd.assigner.usage');
    if (!a) return;
    if (!a.rest) return replyUsage(ctx, 'tasks.missingWho', 'cmd.assigner.usage');
    const who = await resolveWho(ctx, a.rest.split(/\s+/)[0]!);
    const task = await synced(ctx, await assignTask(ctx.db, ctx.actor, await taskByNumber(ctx.db, ctx.actor, a.n, true), who.id));
    ctx.reply({ text: ctx.tr('tasks.assigned', { n: task.number, who: who.displayName }), buttons: taskActions(ctx.t, task.id) });
    if (who.id !== ctx.actor.memberId) await tellAssignee(ctx, task);
  },
};

const reporter: CommandDef = {
  name: 'reporter',
  aliases: ['postpone', 'decaler', 'repousser'],
  summary: 'cmd.reporter.summary',
  usage: 'cmd.reporter.usage',
  requires: 'task.read',
  async run(ctx, args) {
    const a = numberArg(ctx, args, 'cmd.reporter.usage');
    if (!a) return;
    const found = a.rest ? whenParser(ctx, TASK_DEFAULT_HOUR)(a.rest) : null;
    if (!found) return replyUsage(ctx, 'tasks.badWhen', 'cmd.reporter.usage', { when: a.rest });
    const zone = zoneOf(ctx);
    if (found.at < ctx.now) return replyUsage(ctx, 'tasks.pastWhen', 'cmd.reporter.usage', { when: formatWhen(found.at, zone, ctx.locale, ctx.now) });
    const task = await synced(ctx, await postponeTask(ctx.db, ctx.actor, await taskByNumber(ctx.db, ctx.actor, a.n, true), found.at));
    ctx.reply({
      text: ctx.tr('tasks.postponed', { n: task.number, when: formatWhen(found.at, zone, ctx.locale, ctx.now) }),
      buttons: taskActions(ctx.t, task.id),
    });
  },
};

/** Answers a button press: an edit of the pressed message when there is one, and its toast. */
export function pressReply(ctx: Context, text: string, toast: string, buttons?: OutboundMessage['buttons']): void {
  const ev = ctx.event;
  const msg: OutboundMessage = { text };
  if (buttons) msg.buttons = buttons;
  if (ev.kind === 'button') {
    if (ev.messageId) msg.editOf = ev.messageId;
    if (ev.pressId) msg.pressAck = { pressId: ev.pressId, toast };
  }
  ctx.reply(msg);
}

const doneButton: ButtonDef = {
  action: 'task.done',
  requires: 'task.read',
  async run(ctx, taskId) {
    const task = await synced(ctx, await completeTask(ctx.db, ctx.actor, await taskById(ctx.db, ctx.actor, taskId), ctx.now));
    pressReply(ctx, ctx.tr('tasks.doneBy', { n: task.number, title: task.title, who: ctx.member!.displayName }), ctx.tr('tasks.toast.done'));
  },
};

const snoozeButton: ButtonDef = {
  action: 'task.snooze',
  requires: 'task.read',
  async run(ctx, taskId) {
    const current = await taskById(ctx.db, ctx.actor, taskId);
    const zone = zoneOf(ctx);
    // One day later than the due date, or than today at the default hour when it is past or unset.
    const base = current.dueAt && current.dueAt > ctx.now
      ? DateTime.fromJSDate(current.dueAt, { zone })
      : DateTime.fromJSDate(ctx.now, { zone }).set({ hour: TASK_DEFAULT_HOUR, minute: 0, second: 0, millisecond: 0 });
    const task = await synced(ctx, await postponeTask(ctx.db, ctx.actor, current, base.plus({ days: 1 }).toJSDate()));
    pressReply(
      ctx,
      `${ctx.tr('tasks.postponed', { n: task.number, when: formatWhen(task.dueAt!, zone, ctx.locale, ctx.now) })}\n${taskLine(ctx.t, task, zone, ctx.locale, ctx.now)}`,
      ctx.tr('tasks.toast.snoozed'),
      taskActions(ctx.t, task.id),
    );
  },
};

/** The task commands, in the order `aide` lists them. */
export const taskCommands: CommandDef[] = [tache, taches, fait, rouvrir, assigner, reporter];
/** The task buttons. */
export const taskButtons: ButtonDef[] = [doneButton, snoozeButton];
