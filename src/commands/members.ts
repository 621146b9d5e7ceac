/**
 * Member commands: `lier` (link an account with a code), `inviter` (make a code), `langue`,
 * and the GDPR pair `mesdonnees` / `oublier` with its confirmation button.
 */
import type { Context } from '../core/context.js';
import { dbPlatform } from '../core/context.js';
import { escapeMarkup } from '../core/format.js';
import { action, type ButtonDef, type CommandDef } from '../core/router.js';
import { fold, words } from '../core/text.js';
import type { OutboundMessage } from '../core/types.js';
import {
  assertMayForget,
  createInvitation,
  exportMyData,
  forgetMe,
  redeemInvitation,
  setLocale,
  type MyData,
} from '../domain/members.js';
import { parseRole } from '../domain/roles.js';
import type { Role } from '../generated/prisma/enums.js';
import { raw, toLocale, type Locale, type MessageKey, type Translate } from '../i18n/index.js';
import { notifyMember } from './notify.js';
import { replyUsage } from './util.js';

/** The label of a role in the reader's language. */
export function roleLabel(t: Translate, role: Role): string {
  return t(`members.role.${role}` as MessageKey);
}

/** A date and time in a zone, long form (`mardi 14 janvier 2025 à 10:32`). */
function longDate(at: Date, zone: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: zone }).format(at);
}

/**
 * Sends a personal answer where only the member sees it: in the direct chat as is; from a group,
 * to their direct chat with a short note in the group (falls back to the group if unreachable).
 */
async function replyPrivately(ctx: Context, build: (t: Translate, zone: string) => OutboundMessage): Promise<void> {
  const member = ctx.member!;
  if (ctx.event.chat.isDirect) {
    ctx.reply(build(ctx.t, member.zone));
    return;
  }
  if (await notifyMember(ctx, member.id, build)) ctx.reply(ctx.tr('members.sentPrivately'));
  else ctx.reply(build(ctx.t, member.zone));
}

const lier: CommandDef = {
  name: 'lier',
  aliases: ['link'],
  summary: 'cmd.lier.summary',
  usage: 'cmd.lier.usage',
  requires: null,
  async run(ctx, args) {
    if (ctx.member) {
      ctx.reply(ctx.tr('members.alreadyLinked', { name: ctx.member.displayName, commune: ctx.member.commune.name }));
      return;
    }
    const code = args.trim();
    if (!code) return replyUsage(ctx, 'members.noCode', 'cmd.lier.usage');
    const { chat, sender } = ctx.event;
    const linked = await redeemInvitation(ctx.db, {
      code,
      platform: dbPlatform(chat.platform),
      workspace: chat.workspace,
      userId: sender.userId,
      ...(sender.username ? { username: sender.username } : {}),
      ...(sender.displayName ? { displayName: sender.displayName } : {}),
      ...(chat.isDirect ? { directChatId: chat.chatId } : {}),
      ...(sender.locale ? { locale: sender.locale } : {}),
      now: ctx.now,
    });
    const { id, name, insee, timezone } = linked.commune;
    ctx.member = {
      id: linked.id,
      identityId: linked.identityId,
      role: linked.role,
      displayName: linked.displayName,
      locale: linked.locale,
      zone: linked.timezone ?? timezone,
      commune: { id, name, insee, timezone },
    };
    ctx.locale = linked.locale;
    ctx.reply(ctx.tr('members.linked', { name: linked.displayName, commune: linked.commune.name, role: roleLabel(ctx.t, linked.role) }));
  },
};

const inviter: CommandDef = {
  name: 'inviter',
  aliases: ['invite'],
  summary: 'cmd.inviter.summary',
  usage: 'cmd.inviter.usage',
  requires: 'member.invite',
  async run(ctx, args) {
    const [first, ...rest] = words(args);
    if (!first) return replyUsage(ctx, 'members.noRole', 'cmd.inviter.usage');
    const role = parseRole(first.replace(/[.,;:!?]+$/u, ''));
    if (!role) return replyUsage(ctx, 'members.badRole', 'cmd.inviter.usage', { role: first });
    const name = rest.join(' ').replace(/^@/, '');
    const invitation = await createInvitation(ctx.db, ctx.actor, { communeId: ctx.actor.communeId, role, ...(name ? { name } : {}), now: ctx.now });
    await replyPrivately(ctx, (t, zone) => ({
      text: t('members.invited', {
        who: raw(invitation.name ? t('members.invitedFor', { name: invitation.name }) : ''),
        role: roleLabel(t, role),
        code: invitation.code,
        // The inviter gets it in their own language, wherever it is delivered.
        until: longDate(invitation.expiresAt, zone, ctx.locale),
      }),
    }));
  },
};

const LOCALE_WORDS: Readonly<Record<string, Locale>> = {
  fr: 'fr', francais: 'fr', french: 'fr', fra: 'fr',
  en: 'en', anglais: 'en', english: 'en', eng: 'en', gb: 'en', uk: 'en', us: 'en',
};

const langue: CommandDef = {
  name: 'langue',
  aliases: ['language', 'lang'],
  summary: 'cmd.langue.summary',
  usage: 'cmd.langue.usage',
  requires: 'member',
  async run(ctx, args) {
    const word = args.trim();
    if (!word) return replyUsage(ctx, 'members.noLocale', 'cmd.langue.usage');
    // Also a language tag (`en-GB`), but not any word that merely starts like one.
    const locale = LOCALE_WORDS[fold(word)] ?? (/^[a-z]{2}(?:[-_][a-z]{2})?$/i.test(word) ? toLocale(word) : undefined);
    if (!locale) return replyUsage(ctx, 'members.badLocale', 'cmd.langue.usage', { locale: word });
    const same = ctx.member!.locale === locale;
    await setLocale(ctx.db, ctx.actor, locale);
    ctx.locale = locale;
    ctx.member!.locale = locale;
    ctx.reply(ctx.tr(same ? 'members.localeSame' : 'members.localeSet'));
  },
};

/** Longest answer of `mesdonnees`, below every platform's message limit. */
const MY_DATA_MAX = 3500;
const LISTS = ['identities', 'tasksCreated', 'tasksAssigned', 'reminders', 'votes', 'attendances', 'audit'] as const;

/** Valid JSON with one line per top-level field and per list item: readable on a phone, yet dense. */
export function compactJson(data: Record<string, unknown>): string {
  const fields = Object.entries(data).map(([key, value]) => {
    const name = JSON.stringify(key);
    if (!Array.isArray(value) || value.length === 0) return ` ${name}: ${JSON.stringify(value)}`;
    return ` ${name}: [\n${value.map((v) => `  ${JSON.stringify(v)}`).join(',\n')}\n ]`;
  });
  return `{\n${fields.join(',\n')}\n}`;
}

/**
 * Renders the export: a readable summary, then the data as JSON in a code span. Every list is
 * cut to the same length (newest items kept) until the whole fits in {@link MY_DATA_MAX} characters.
 */
export function renderMyData(t: Translate, data: MyData, role: string): string {
  const total = LISTS.reduce((n, k) => n + data[k].length, 0);
  const head = [
    t('members.dataTitle', { name: data.member.displayName, role, commune: data.member.commune.name }),
    t('members.dataCounts', {
      identities: data.identities.length,
      created: data.tasksCreated.length,
      assigned: data.tasksAssigned.length,
      reminders: data.reminders.length,
      votes: data.votes.length,
      attendances: data.attendances.length,
      audit: data.audit.length,
    }),
  ];
  const render = (cap: number) => {
    const cut = { ...data } as Record<string, unknown>;
    // Lists run oldest first: keep the newest items.
    for (const k of LISTS) cut[k] = cap === 0 ? [] : data[k].slice(-cap);
    const shown = LISTS.reduce((n, k) => n + Math.min(cap, data[k].length), 0);
    const lines = [...head];
    if (shown < total) lines.push(t('members.dataTruncated', { shown, total }));
    lines.push(`\`${escapeMarkup(compactJson(cut))}\``, t('members.dataFooter'));
    return lines.join('\n');
  };
  let cap = Math.max(0, ...LISTS.map((k) => data[k].length));
  let text = render(cap);
  while (text.length > MY_DATA_MAX && cap > 0) {
    cap = Math.floor(cap * 0.7);
    text = render(cap);
  }
  return text;
}

const mesdonnees: CommandDef = {
  name: 'mesdonnees',
  aliases: ['mydata', 'rgpd', 'gdpr'],
  summary: 'cmd.mesdonnees.summary',
  usage: 'cmd.mesdonnees.usage',
  requires: 'member',
  async run(ctx) {
    const data = await exportMyData(ctx.db, ctx.actor);
    await replyPrivately(ctx, (t) => ({ text: renderMyData(t, data, roleLabel(t, data.member.role)) }));
  },
};

const oublier: CommandDef = {
  name: 'oublier',
  aliases: ['forget'],
  summary: 'cmd.oublier.summary',
  usage: 'cmd.oublier.usage',
  requires: 'member',
  async run(ctx) {
    // Say now, rather than after the confirmation, when erasing is not possible.
    await assertMayForget(ctx.db, ctx.actor);
    ctx.reply({
      text: ctx.tr('members.forgetAsk'),
      buttons: [[{ label: ctx.tr('members.forgetConfirm'), action: action('member.forget', ctx.actor.memberId), emoji: '✅' }]],
    });
  },
};

const forgetButton: ButtonDef = {
  action: 'member.forget',
  requires: 'member',
  async run(ctx, memberId) {
    const ev = ctx.event;
    if (memberId !== ctx.actor.memberId) {
      ctx.reply(ctx.tr('members.forgetNotYou'));
      return;
    }
    await forgetMe(ctx.db, ctx.actor, ctx.now);
    const msg: OutboundMessage = { text: ctx.tr('members.forgotten') };
    if (ev.kind === 'button') {
      if (ev.messageId) msg.editOf = ev.messageId;
      if (ev.pressId) msg.pressAck = { pressId: ev.pressId, toast: ctx.tr('members.forgottenToast') };
    }
    ctx.reply(msg);
  },
};

/** The member commands, in the order `aide` lists them. */
export const membersCommands: CommandDef[] = [lier, inviter, langue, mesdonnees, oublier];
/** The member buttons. */
export const membersButtons: ButtonDef[] = [forgetButton];
