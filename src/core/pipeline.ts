/**
 * The middleware every event goes through: identify the member, rate-limit them, then route
 * the command or button to its handler with the role check.
 */
import { createHash } from 'node:crypto';
import type { Tx } from '../db/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { lockCommunes } from '../domain/communes.js';
import { toLocale, type Locale } from '../i18n/index.js';
import { compose, dbPlatform, type Context, type Middleware, type SenderIdentity, type Services } from './context.js';
import { allowed, type Requirement, type Router } from './router.js';
import { fold } from './text.js';
import type { InboundEvent, SentAction } from './types.js';
import { queryRaw } from '../db/sql.js';

/**
 * Looks up the senders of `events` in one query (one per event would be one statement more for
 * every event of a batch, docs/performance.md): each one's identity, member and commune, or
 * null when the sender is not linked. With `lock`, the same statement then locks the rows of
 * their communes, in id order, until the transaction ends (`FOR NO KEY UPDATE`, what moving a
 * commune's counters takes): a batch that runs its communes side by side takes all their locks
 * at its start, in the same order as any other batch, so two batches cannot deadlock on commune
 * rows (docs/architecture.md).
 */
export async function findIdentities(db: Tx, events: InboundEvent[], opts: { lock?: boolean } = {}): Promise<(SenderIdentity | null)[]> {
  const platforms = events.map((e) => dbPlatform(e.chat.platform));
  const workspaces = events.map((e) => e.chat.workspace);
  const users = events.map((e) => e.sender.userId);
  const rows = opts.lock
    ? await queryRaw<(SenderIdentity & { n: bigint })[]>(db, Prisma.sql`
    WITH "found" AS MATERIALIZED (${identitiesSql(platforms, workspaces, users)}),
    "locked" AS MATERIALIZED (${lockCommunes(Prisma.sql`SELECT "communeId" FROM "found"`)})
    -- Read "locked" so that PostgreSQL runs it: a CTE nothing reads is skipped, locks and all.
    SELECT * FROM "found" WHERE (SELECT count(*) FROM "locked") >= 0`)
    : await queryRaw<(SenderIdentity & { n: bigint })[]>(db, identitiesSql(platforms, workspaces, users));
  const found = new Map(rows.map(({ n, ...row }) => [Number(n), row]));
  return events.map((_, i) => found.get(i + 1) ?? null);
}

function identitiesSql(platforms: string[], workspaces: string[], users: string[]): Prisma.Sql {
  return Prisma.sql`
    SELECT e."n", i."id" AS "identityId", i."directChatId", i."unreachableAt",
           m."id" AS "memberId", m."role"::text AS "role", m."displayName", m."locale", m."timezone", m."erasedAt",
           c."id" AS "communeId", c."name" AS "communeName", c."insee", c."timezone" AS "communeTimezone"
    FROM unnest(${platforms}::text[], ${workspaces}::text[], ${users}::text[]) WITH ORDINALITY AS e("platform", "workspace", "userId", "n")
    JOIN "ChatIdentity" i ON i."platform" = e."platform"::"Platform" AND i."workspace" = e."workspace" AND i."userId" = e."userId"
    JOIN "Member" m ON m."id" = i."memberId" JOIN "Commune" c ON c."id" = m."communeId"`;
}

/**
 * Makes the sender's identity (looked up by {@link findIdentities}) the context's member;
 * leaves `ctx.member` unset if not linked or erased.
 */
export const identify: Middleware = async (ctx, next) => {
  const { chat } = ctx.event;
  const row = ctx.identity;
  if (row && !row.erasedAt) {
    ctx.member = {
      id: row.memberId,
      identityId: row.identityId,
      role: row.role,
      displayName: row.displayName,
      locale: toLocale(row.locale) ?? ctx.locale,
      zone: row.timezone ?? row.communeTimezone,
      commune: { id: row.communeId, name: row.communeName, insee: row.insee, timezone: row.communeTimezone },
    };
    ctx.locale = ctx.member.locale;
    // Remember where to reach the member privately, and unmark an identity that came back.
    if (chat.isDirect && (row.directChatId !== chat.chatId || row.unreachableAt)) {
      await ctx.db.chatIdentity.update({ where: { id: row.identityId }, data: { directChatId: chat.chatId, unreachableAt: null } });
    }
  }
  await next();
};

/** How long a sender's count of a minute is kept (s). */
export const FLOOD_TTL_SECONDS = 120;

/**
 * The Lua function that ranks an event among its sender's events of the minute: event `id` in
 * the hash `key`, which expires after `ttl` seconds. An event seen already keeps its rank (one
 * replayed after its batch failed, or redelivered by the platform, is not counted twice). Past
 * `limit` plus the one answered, events are not remembered (a flood does not grow the hash):
 * they all rank `limit` + 2. Shared by {@link rankEvents} and the ingress pump, which ranks the
 * events it takes (src/jobs/ingress.ts).
 */
export const RANK_FUNCTION = `
local function rank(key, id, ttl, limit)
  local n = redis.call('HGET', key, id)
  if n then return tonumber(n) end
  n = redis.call('HLEN', key) + 1
  if n <= limit + 1 then
    redis.call('HSET', key, id, n)
    if n == 1 then redis.call('EXPIRE', key, ttl) end
  end
  return n
end`;

/**
 * Where a sender's flood count of a minute is kept (`minute`: minutes since the epoch). The
 * ingress pump builds the same key in Lua from the same parts.
 */
export function floodKey(prefix: string, event: InboundEvent, minute: number): string {
  return `${prefix}:rl:${event.chat.platform}:${event.chat.workspace}:${event.sender.userId}:${minute}`;
}

/** The minute (minutes since the epoch) whose count an event seen at `at` goes in. */
export function floodMinute(at: Date): number {
  return Math.floor(at.getTime() / 60_000);
}

/** Ranks event ARGV[2 + i] in the hash KEYS[i] (ARGV[1]: the keys' life, ARGV[2]: the limit); returns the ranks in order. */
const RANK_SCRIPT = `${RANK_FUNCTION}
local out = {}
for i = 1, #KEYS do out[i] = rank(KEYS[i], ARGV[2 + i], ARGV[1], tonumber(ARGV[2])) end
return out`;
const RANK_SHA = createHash('sha1').update(RANK_SCRIPT).digest('hex');

/**
 * Ranks `events` among their senders' events of the current minute (per-sender flood guard in
 * Redis), all in one script call. The ingress pump ranks the events it takes as it takes them,
 * and their jobs carry the ranks; this is for the events of a job that does not carry one for
 * each (added by an older version, docs/deployment.md, or holding an event the pump's script
 * could not read). {@link rateLimit} then lets the first `RATE_LIMIT_PER_MINUTE` through.
 */
export async function rankEvents(services: Services, events: InboundEvent[]): Promise<number[]> {
  const { redis, config } = services;
  const minute = floodMinute(services.clock());
  const keys = events.map((e) => floodKey(config.REDIS_PREFIX, e, minute));
  const args = [...keys, FLOOD_TTL_SECONDS, config.RATE_LIMIT_PER_MINUTE, ...events.map((e) => e.id)];
  const ranks = (await redis.evalsha(RANK_SHA, keys.length, ...args).catch((err: Error) => {
    // Redis forgot the script (restarted, flushed): send it whole, which loads it again.
    if (!/NOSCRIPT/.test(err.message)) throw err;
    return redis.eval(RANK_SCRIPT, keys.length, ...args);
  })) as number[];
  return ranks;
}

/**
 * Per-sender flood guard: past `RATE_LIMIT_PER_MINUTE` events in a minute (the event's rank,
 * counted by the ingress pump or {@link rankEvents}), the sender gets one polite answer and the
 * rest of the minute is ignored.
 */
export const rateLimit: Middleware = async (ctx, next) => {
  const limit = ctx.services.config.RATE_LIMIT_PER_MINUTE;
  if (ctx.rank <= limit) return next();
  if (ctx.rank === limit + 1) ctx.reply(ctx.tr('core.rateLimited'));
};

/** Routes the event: commands by name, buttons by action; checks the role first. */
export function dispatch(router: Router): Middleware {
  return async (ctx) => {
    const event = ctx.event;
    if (event.kind === 'button') {
      const encoded = event.action ?? (await actionFromChoice(ctx));
      const found = encoded ? router.resolveButton(encoded) : undefined;
      ctx.command = { name: found ? found.def.action : 'button', args: '' };
      if (!found) {
        ctx.outcome = 'expired';
        ctx.reply(ctx.tr('core.buttonExpired'));
        return;
      }
      if (!(await checkAccess(ctx, found.def.requires))) return;
      await found.def.run(ctx, found.arg);
      return;
    }
    if (!event.addressed && !event.chat.isDirect) return;
    const text = event.text.trim().replace(/^[/!]/, '');
    const match = /^(\S+)\s*([\s\S]*)$/u.exec(text);
    if (!match) {
      ctx.reply(ctx.tr('core.empty'));
      return;
    }
    const [, word = '', args = ''] = match;
    const name = fold(word).replace(/@.*$/, '');
    const def = router.resolve(name);
    if (!def) {
      ctx.command = { name: 'unknown', args: text };
      ctx.outcome = 'unknown';
      return replyUnknown(ctx, router, word);
    }
    ctx.command = { name: def.name, args: args.trim() };
    if (!(await checkAccess(ctx, def.requires))) return;
    await def.run(ctx, args.trim());
  };
}

/** Answers an unknown command name, with "did you mean" when a command is close. */
export function replyUnknown(ctx: Context, router: Router, word: string): void {
  const suggestions = router.suggest(word).map((s) => `/${s}`);
  ctx.reply({
    text: suggestions.length
      ? ctx.tr('core.unknownWithSuggestion', { word, suggestions: suggestions.join(', ') })
      : ctx.tr('core.unknown', { word }),
    ephemeralFor: ctx.event.sender.userId,
  });
}

async function checkAccess(ctx: Context, req: Requirement): Promise<boolean> {
  if (allowed(req, ctx.member?.role)) return true;
  ctx.outcome = ctx.member ? 'forbidden' : 'not_linked';
  ctx.reply({ text: ctx.member ? ctx.tr('errors.forbidden') : ctx.tr('core.notLinked'), ephemeralFor: ctx.event.sender.userId });
  return false;
}

/** Maps a press given as (bot message, position) back to its action through the sent-message table. */
async function actionFromChoice(ctx: Context): Promise<string | undefined> {
  const event = ctx.event;
  if (event.kind !== 'button' || event.messageId === undefined || (event.choice === undefined && event.key === undefined)) return undefined;
  const { chat } = event;
  const sent = await ctx.db.sentMessage.findUnique({
    where: {
      platform_workspace_chatId_messageId: {
        platform: dbPlatform(chat.platform),
        workspace: chat.workspace,
        chatId: chat.chatId,
        messageId: event.messageId,
      },
    },
  });
  const actions = (sent?.actions ?? []) as unknown as SentAction[];
  const found = event.choice !== undefined ? actions[event.choice] : actions.find((a) => a.key === event.key);
  return found?.action;
}

/** The whole pipeline for a router. */
export function pipeline(router: Router): Middleware {
  return compose([identify, rateLimit, dispatch(router)]);
}

/** The locale to answer an event in before the member is known. */
export function initialLocale(hint: string | undefined, fallback: Locale): Locale {
  return toLocale(hint) ?? fallback;
}
