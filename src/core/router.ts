/**
 * Command and button routing: French names with English aliases, matched ignoring case and
 * accents, with "did you mean" suggestions for typos.
 */
import { distance } from 'fastest-levenshtein';
import { can, type Permission } from '../domain/permissions.js';
import type { Role } from '../generated/prisma/enums.js';
import type { MessageKey } from '../i18n/index.js';
import type { Context } from './context.js';
import { fold } from './text.js';

/**
 * Who may run a command: `null` anyone (even not linked), `'member'` any linked member, or a
 * permission the member's role must hold.
 */
export type Requirement = Permission | 'member' | null;

/** A chat command. */
export interface CommandDef {
  /** Canonical French name, as typed without accents (`tache`). */
  name: string;
  /** Other names (English, plural forms…), folded. */
  aliases: readonly string[];
  /** One-line description for `aide`. */
  summary: MessageKey;
  /** Usage with an example, for `aide <commande>` and bad input. */
  usage: MessageKey;
  requires: Requirement;
  run(ctx: Context, args: string): Promise<void>;
}

/** A button action, e.g. `task.done` pressed with argument `<taskId>`. */
export interface ButtonDef {
  action: string;
  requires: Requirement;
  run(ctx: Context, arg: string): Promise<void>;
}

/** Holds the commands and buttons; resolves names. */
export class Router {
  private readonly byName = new Map<string, CommandDef>();
  private readonly buttonsByAction = new Map<string, ButtonDef>();
  /** Commands in registration order (the order `aide` lists them). */
  readonly commands: CommandDef[] = [];

  /** Registers commands. */
  command(...defs: CommandDef[]): this {
    for (const def of defs) {
      for (const n of [def.name, ...def.aliases]) {
        const key = fold(n);
        if (this.byName.has(key)) throw new Error(`command name "${n}" registered twice`);
        this.byName.set(key, def);
      }
      this.commands.push(def);
    }
    return this;
  }

  /** Registers button actions. */
  button(...defs: ButtonDef[]): this {
    for (const def of defs) {
      if (this.buttonsByAction.has(def.action)) throw new Error(`button "${def.action}" registered twice`);
      this.buttonsByAction.set(def.action, def);
    }
    return this;
  }

  /** The command named `word` (any case, accents, alias), if any. */
  resolve(word: string): CommandDef | undefined {
    return this.byName.get(fold(word));
  }

  /** The button handler for an encoded action `name:arg`, with its argument. */
  resolveButton(encoded: string): { def: ButtonDef; arg: string } | undefined {
    const i = encoded.indexOf(':');
    const name = i < 0 ? encoded : encoded.slice(0, i);
    const def = this.buttonsByAction.get(name);
    return def && { def, arg: i < 0 ? '' : encoded.slice(i + 1) };
  }

  /** Up to three command names close to `word`, nearest first. */
  suggest(word: string): string[] {
    const w = fold(word);
    const scored: { name: string; d: number }[] = [];
    for (const [name, def] of this.byName) {
      const d = w.length >= 4 && name.startsWith(w) ? 0.5 : distance(w, name);
      const longest = Math.max(w.length, name.length);
      const max = longest <= 4 ? 1 : longest <= 6 ? 2 : 3;
      if (d <= max) scored.push({ name: name === fold(def.name) ? def.name : name, d });
    }
    scored.sort((a, b) => a.d - b.d || a.name.localeCompare(b.name));
    return [...new Set(scored.map((s) => s.name))].slice(0, 3);
  }

  /** Commands a role (or someone not linked) may run. */
  available(role: Role | undefined): CommandDef[] {
    return this.commands.filter((c) => allowed(c.requires, role));
  }
}

/** Whether a requirement is met by a role (undefined = not linked). */
export function allowed(req: Requirement, role: Role | undefined): boolean {
  if (req === null) return true;
  if (role === undefined) return false;
  return req === 'member' || can(role, req);
}

/** Encodes a button action with its argument. */
export function action(name: string, arg: string): string {
  return `${name}:${arg}`;
}
