/** `salon` / `room`: binds the group the command is typed in to the commune, for a purpose. */
import { dbPlatform } from '../core/context.js';
import type { ButtonDef, CommandDef } from '../core/router.js';
import { fold, words } from '../core/text.js';
import { bindRoom } from '../domain/rooms.js';
import type { RoomPurpose } from '../generated/prisma/enums.js';
import { raw, type MessageKey, type Translate } from '../i18n/index.js';
import { replyUsage } from './util.js';

/** Purpose names people type, folded, in French and English. */
export const PURPOSE_WORDS: Readonly<Record<string, RoomPurpose>> = {
  conseil: 'COUNCIL', council: 'COUNCIL', elus: 'COUNCIL', municipal: 'COUNCIL',
  agents: 'AGENTS', agent: 'AGENTS', mairie: 'AGENTS', staff: 'AGENTS', secretariat: 'AGENTS',
  citoyens: 'CITIZENS', citoyen: 'CITIZENS', citizens: 'CITIZENS', citizen: 'CITIZENS', habitants: 'CITIZENS', public: 'CITIZENS',
};

/** The purpose of a room in the reader's language (`du conseil`, `council`). */
export function purposeLabel(t: Translate, purpose: RoomPurpose): string {
  return t(`rooms.purpose.${purpose}` as MessageKey);
}

const salon: CommandDef = {
  name: 'salon',
  aliases: ['room'],
  summary: 'cmd.salon.summary',
  usage: 'cmd.salon.usage',
  requires: 'room.bind',
  async run(ctx, args) {
    const { chat } = ctx.event;
    if (chat.isDirect) {
      ctx.reply(ctx.tr('rooms.direct'));
      return;
    }
    const [word, ...extra] = words(args);
    const purpose = word ? PURPOSE_WORDS[fold(word)] : 'COUNCIL';
    if (!purpose || extra.length > 0) return replyUsage(ctx, 'rooms.badPurpose', 'cmd.salon.usage', { purpose: args.trim() });
    const result = await bindRoom(ctx.db, ctx.actor, {
      platform: dbPlatform(chat.platform),
      workspace: chat.workspace,
      chatId: chat.chatId,
      ...(chat.threadId ? { threadId: chat.threadId } : {}),
      purpose,
    });
    const params = {
      purpose: purposeLabel(ctx.t, purpose),
      commune: ctx.member!.commune.name,
      use: raw(ctx.tr(`rooms.use.${purpose}`)),
    };
    if (result.status === 'created') ctx.reply(ctx.tr('rooms.bound', params));
    else if (result.status === 'unchanged') ctx.reply(ctx.tr('rooms.unchanged', params));
    else if (result.previous && result.previous !== purpose) ctx.reply(ctx.tr('rooms.rebound', { ...params, previous: purposeLabel(ctx.t, result.previous) }));
    else ctx.reply(ctx.tr('rooms.bound', params));
  },
};

/** The room commands. */
export const roomsCommands: CommandDef[] = [salon];
/** The room buttons (none yet). */
export const roomsButtons: ButtonDef[] = [];
