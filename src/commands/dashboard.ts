/** `tableau` (the commune's dashboard) and `agenda` (my deadlines). */
import type { CommandDef } from '../core/router.js';
import { fold, words } from '../core/text.js';
import { dashboard } from '../domain/dashboard.js';
import { tasksDueFor } from '../domain/tasks.js';
import { formatWhen } from '../time/index.js';
import { agendaMeetingLines, sendCalendarLink } from './meetings.js';
import { taskLine } from './tasks.js';
import { replyUsage } from './util.js';

const tableau: CommandDef = {
  name: 'tableau',
  aliases: ['dashboard', 'tdb', 'bilan'],
  summary: 'cmd.tableau.summary',
  usage: 'cmd.tableau.usage',
  requires: 'dashboard.read',
  async run(ctx) {
    const d = await dashboard(ctx.db, ctx.actor, ctx.now);
    const zone = ctx.member!.zone;
    const when = (at: Date) => formatWhen(at, zone, ctx.locale, ctx.now);
    const lines = [
      ctx.tr('dashboard.title', { commune: ctx.member!.commune.name }),
      ctx.tr('dashboard.counts', { open: d.open, overdue: d.overdue, week: d.dueThisWeek, unassigned: d.unassigned }),
      ctx.tr('dashboard.done', { done: d.doneLast7Days, projects: d.activeProjects }),
    ];
    if (d.overdueTasks.length > 0) {
      lines.push('', ctx.tr('dashboard.overdueTitle'));
      for (const task of d.overdueTasks) {
        const who = task.assignee ? ` — ${ctx.tr('tasks.for', { who: task.assignee })}` : '';
        lines.push(`• ${ctx.tr('tasks.line', { n: task.number, title: task.title })}${who} — ${ctx.tr('tasks.due', { when: when(task.dueAt) })}`);
      }
    }
    lines.push('', ctx.tr('dashboard.meetingsTitle'));
    if (d.nextMeetings.length === 0) lines.push(ctx.tr('dashboard.noMeetings'));
    for (const m of d.nextMeetings) lines.push(`• ${ctx.tr('dashboard.meetingLine', { when: when(m.startsAt), title: m.title })}`);
    ctx.reply(lines.join('\n'));
  },
};

const PERIODS: Record<string, 'semaine' | 'mois'> = { semaine: 'semaine', week: 'semaine', mois: 'mois', month: 'mois' };
const LINK_WORDS = new Set(['lien', 'link', 'ical', 'ics', 'url', 'abonnement', 'subscribe']);
const NEW_WORDS = new Set(['nouveau', 'new', 'renouveler', 'renew', 'reset']);
const PERIOD_DAYS = { semaine: 7, mois: 30 } as const;

const agenda: CommandDef = {
  name: 'agenda',
  aliases: ['calendrier'],
  summary: 'cmd.agenda.summary',
  usage: 'cmd.agenda.usage',
  requires: 'agenda.read',
  async run(ctx, args) {
    const [first, second] = words(fold(args));
    if (first && LINK_WORDS.has(first)) return sendCalendarLink(ctx, Boolean(second && NEW_WORDS.has(second)));
    const period = args ? PERIODS[fold(args.trim())] : 'semaine';
    if (!period) return replyUsage(ctx, 'agenda.badPeriod', 'cmd.agenda.usage', { period: args });
    const until = new Date(ctx.now.getTime() + PERIOD_DAYS[period] * 24 * 3600 * 1000);
    const tasks = await tasksDueFor(ctx.db, ctx.actor, until);
    const zone = ctx.member!.zone;
    const meetings = await agendaMeetingLines(ctx, until);
    const lines = [ctx.tr(`agenda.title.${period}`)];
    if (tasks.length === 0 && meetings.length === 0) lines.push(ctx.tr('agenda.empty'));
    if (meetings.length > 0) lines.push(ctx.tr('agenda.meetingsTitle'), ...meetings);
    if (meetings.length > 0 && tasks.length > 0) lines.push(ctx.tr('agenda.tasksTitle'));
    for (const task of tasks) lines.push(`• ${taskLine(ctx.t, task, zone, ctx.locale, ctx.now)}`);
    ctx.reply(lines.join('\n'));
  },
};

/** The dashboard and agenda commands. */
export const dashboardCommands: CommandDef[] = [tableau, agenda];
