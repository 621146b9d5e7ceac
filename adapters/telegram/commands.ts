/**
 * The command menu Telegram shows when one types `/`: derived from the core router's
 * commands, in French (the default list) and English (`language_code: en`).
 */
import type { BotCommand } from 'grammy/types';
import { toPlain } from '../../src/core/format.js';
import { t, type Locale, type MessageKey } from '../../src/i18n/index.js';

/** What the menu needs of a router command (`router.commands` satisfies it). */
export interface MenuCommand {
  name: string;
  aliases: readonly string[];
  summary: MessageKey;
}

/** Telegram's rule for a command name. */
const COMMAND_NAME = /^[a-z0-9_]{1,32}$/;
/** Longest command description (Bot API). */
const MAX_DESCRIPTION = 256;

/**
 * The menu in one locale: the French name, or in English the first alias (as `/aide` shows
 * them), described by the command's summary. Names Telegram refuses are left out.
 */
export function commandMenu(commands: readonly MenuCommand[], locale: Locale): BotCommand[] {
  const seen = new Set<string>();
  const menu: BotCommand[] = [];
  for (const def of commands) {
    const english = def.aliases.find((a) => COMMAND_NAME.test(a));
    const command = locale === 'en' && english ? english : def.name;
    if (!COMMAND_NAME.test(command) || seen.has(command)) continue;
    seen.add(command);
    const description = toPlain(t(locale, def.summary)).trim().slice(0, MAX_DESCRIPTION) || command;
    menu.push({ command, description });
  }
  return menu.slice(0, 100);
}
