/** Project commands: `projets` (the list), `projet <nom>` (one project), `projet nouveau <nom>`. */
import type { Context } from '../core/context.js';
import { escapeMarkup } from '../core/format.js';
import type { ButtonDef, CommandDef } from '../core/router.js';
import { fold } from '../core/text.js';
import { createProject, getProject, listProjects } from '../domain/projects.js';
import { taskLine } from './tasks.js';
import { replyUsage } from './util.js';

/** First words that make `projet …` a creation. */
const NEW_WORDS = new Set(['nouveau', 'nouvelle', 'new', 'creer', 'create', 'ajouter', 'add']);

/** A `#tag` that finds the project from `/tache … #tag`: its first word that starts with a letter. */
export function projectTag(name: string): string {
  const word = name.split(/[\s'’]+/u).find((w) => /^\p{L}/u.test(w)) ?? name;
  return word.replace(/[^\p{L}\p{N}_-]+/gu, '');
}

async function replyList(ctx: Context): Promise<void> {
  const projects = await listProjects(ctx.db, ctx.actor);
  if (projects.length === 0) {
    ctx.reply(ctx.tr('projects.listEmpty'));
    return;
  }
  const lines = [ctx.tr('projects.listTitle', { total: projects.length })];
  for (const p of projects) lines.push(ctx.tr('projects.line', { name: p.name, open: p.open, done: p.done }));
  lines.push('', ctx.tr('projects.listFooter'));
  ctx.reply(lines.join('\n'));
}

const projets: CommandDef = {
  name: 'projets',
  aliases: ['projects'],
  summary: 'cmd.projets.summary',
  usage: 'cmd.projets.usage',
  requires: 'project.read',
  async run(ctx) {
    await replyList(ctx);
  },
};

const projet: CommandDef = {
  name: 'projet',
  aliases: ['project'],
  summary: 'cmd.projet.summary',
  usage: 'cmd.projet.usage',
  requires: 'project.read',
  async run(ctx, args) {
    const text = args.trim();
    if (!text) return replyList(ctx);
    const m = /^(\S+)\s*([\s\S]*)$/u.exec(text)!;
    if (NEW_WORDS.has(fold(m[1]!))) {
      const [name = '', ...description] = m[2]!.split(';');
      if (!name.trim()) return replyUsage(ctx, 'projects.noName', 'cmd.projet.usage');
      const project = await createProject(ctx.db, ctx.actor, name, description.join(';'));
      ctx.reply(ctx.tr('projects.created', { name: project.name, tag: projectTag(project.name) }));
      return;
    }
    const project = await getProject(ctx.db, ctx.actor, text);
    const zone = ctx.member!.zone;
    const lines = [ctx.tr('projects.title', { name: project.name })];
    if (project.description) lines.push(`_${escapeMarkup(project.description)}_`);
    lines.push(ctx.tr('projects.counts', { open: project.open, done: project.done }));
    if (project.tasks.length === 0) lines.push(ctx.tr('projects.noOpenTasks', { tag: projectTag(project.name) }));
    for (const task of project.tasks) lines.push(`• ${taskLine(ctx.t, { ...task, project: null }, zone, ctx.locale, ctx.now)}`);
    if (project.open > project.tasks.length) lines.push(ctx.tr('projects.more', { more: project.open - project.tasks.length }));
    ctx.reply(lines.join('\n'));
  },
};

/** The project commands, in the order `aide` lists them. */
export const projectsCommands: CommandDef[] = [projets, projet];
/** The project buttons (none yet). */
export const projectsButtons: ButtonDef[] = [];
