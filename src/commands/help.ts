/** `aide` / `help`: the commands the sender may use, or one command's usage and example. */
import { replyUnknown } from '../core/pipeline.js';
import type { CommandDef, Router } from '../core/router.js';

/** Name of a command in the sender's language: the French name, or its first alias in English. */
function shownName(def: CommandDef, locale: 'fr' | 'en'): string {
  return locale === 'en' && def.aliases[0] ? def.aliases[0] : def.name;
}

/** Builds the help command over a router (it lists what the router holds). */
export function helpCommands(router: Router): CommandDef[] {
  const aide: CommandDef = {
    name: 'aide',
    aliases: ['help', 'start', 'aled', '?'],
    summary: 'cmd.aide.summary',
    usage: 'cmd.aide.usage',
    requires: null,
    async run(ctx, args) {
      const word = args.trim().replace(/^[/!]/, '');
      if (word) {
        const def = router.resolve(word.split(/\s+/)[0]!);
        if (!def) return replyUnknown(ctx, router, word);
        const lines = [ctx.tr('help.command', { name: shownName(def, ctx.locale), summary: ctx.tr(def.summary), usage: ctx.tr(def.usage) })];
        const others = [def.name, ...def.aliases].filter((n) => n !== shownName(def, ctx.locale) && /^\p{L}/u.test(n));
        if (others.length) lines.push(ctx.tr('help.aliases', { aliases: others.map((n) => `/${n}`).join(', ') }));
        ctx.reply(lines.join('\n'));
        return;
      }
      const lines = [ctx.tr('help.title')];
      for (const def of router.available(ctx.member?.role)) {
        lines.push(ctx.tr('help.line', { name: shownName(def, ctx.locale), summary: ctx.tr(def.summary) }));
      }
      lines.push('', ctx.member ? ctx.tr('help.footer') : ctx.tr('help.notLinked'));
      ctx.reply(lines.join('\n'));
    },
  };
  return [aide];
}
