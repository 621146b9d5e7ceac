/**
 * The delivery worker's job: send one outbox row through its platform's adapter, record the
 * platform message id (and the actions its buttons carry), and map failures to retry, delay
 * (the platform's retry-after) or a permanent end. Messages to one chat are paced by the
 * adapter's limit; a member who became unreachable on one account gets it on another.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { dbPlatform, type Services } from '../core/context.js';
import { DeliveryError } from '../core/errors.js';
import { buttonKeys, type Adapter, type ChatAddress, type OutboundMessage, type Platform, type SentAction } from '../core/types.js';
import type { PrismaClient } from '../db/client.js';
import { Prisma, type OutboxMessage } from '../generated/prisma/client.js';
import type { Metrics } from '../metrics.js';
import { memberRecipient, toMember } from '../core/recipients.js';
import { batcher } from '../core/batch.js';
import { isTransient } from './inbound.js';
import { enqueueOutbox, writeOutbox, type OutboxRow, type QueuedRow } from './outbox.js';
import { reserveSlot } from './pacing.js';
import { OUTBOUND_JOB_OPTIONS, type OutboundJob, type Queues } from './queues.js';
import { executeRaw, transaction } from '../db/sql.js';

/** Past this many platform-requested delays a message fails for good. */
const MAX_DELAYS = 50;

/** A row younger than this may still be sent by the worker that wrote it; the sweep waits longer. */
const SEND_NOW_MAX_AGE_MS = 10_000;

/** The first wait of a delivery that failed, as the `outbound` jobs' backoff starts. */
const FIRST_BACKOFF_MS = (OUTBOUND_JOB_OPTIONS.backoff as { delay: number }).delay;

/** What one attempt at sending an outbox row came to. */
type Attempt =
  | { kind: 'sent'; messageId: string }
  | { kind: 'ignored' }
  /** Ended for good (no adapter, unreachable, refused): recorded, nothing more to do. */
  | { kind: 'ended'; error: string }
  /** Not now: at `at` (epoch ms), its paced slot when `slot` is set. `attempts` counts retry-afters. */
  | { kind: 'later'; at: number; slot?: number; attempts?: number; error?: Error }
  /** Failed in a way worth retrying with backoff (network, adapter bug, a retry without a delay). */
  | { kind: 'retry'; error: Error };

/** Hands committed outbox rows, as they were written, to delivery ({@link Delivery.dispatch}). */
export type Dispatch = (rows: OutboxRow[]) => Promise<void>;

/** The delivery side of a worker process; see {@link createDelivery}. */
export interface Delivery {
  /** The `outbound` queue's processor. */
  process(job: Job<OutboundJob>, token?: string): Promise<string>;
  /**
   * Hands committed outbox rows to delivery. Rows are sent at once by this process where they
   * can be (their adapter is here, their chat's pace allows, not too many sends in flight):
   * a reply then costs no second job. The others, and any that fails, go to the `outbound`
   * queue, which owns retries. Resolves once every row was started or queued; throws only if
   * the queue cannot be reached (the rows stay pending for the sweep).
   */
  dispatch: Dispatch;
  /** Resolves once the sends started by {@link dispatch} are done, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void>;
}

/**
 * Builds the delivery of a process for the adapters it can send with: the `outbound` job, and
 * the sending of fresh rows by the worker that committed them (docs/architecture.md). Either
 * way a row is sent through {@link attempt}: pacing, the platform's answer, the bookkeeping.
 * `maxInFlight` bounds the rows sent at once outside the queue.
 */
export function createDelivery(services: Services, metrics: Metrics, adapters: ReadonlyMap<Platform, Adapter>, queues: Queues, maxInFlight: number): Delivery {
  const { prisma, logger, redis, config } = services;
  const maxAttempts = OUTBOUND_JOB_OPTIONS.attempts ?? 1;
  const inFlight = new Set<Promise<void>>();
  let sending = 0;

  const fail = async (id: bigint, error: string) => {
    await prisma.outboxMessage.update({ where: { id }, data: { status: 'FAILED', lastError: error.slice(0, 500) } });
  };
  // Deliveries running at the same time read their rows and record their success together:
  // one query for many messages instead of one each (docs/performance.md).
  const loadRow = batcher({ max: 64, lingerMs: 0, parallel: 2 }, async (ids: bigint[]) => {
    const rows = new Map((await prisma.outboxMessage.findMany({ where: { id: { in: ids } } })).map((r) => [r.id, r]));
    return ids.map((id) => rows.get(id));
  });
  const recordSent = batcher({ max: 64, lingerMs: 0, parallel: 2 }, async (items: Sent[]): Promise<(Error | undefined)[]> => {
    try {
      await recordSentMany(prisma, items, services.clock());
      return items.map(() => undefined);
    } catch (err) {
      if (items.length === 1) return [err instanceof Error ? err : new Error(String(err))];
      // One bad row must not fail the others: each is recorded alone.
      return Promise.all(items.map((item) => recordSentMany(prisma, [item], services.clock()).then(() => undefined, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
    }
  });

  /**
   * Sends one row once. `slotReached`: the row's paced slot was reserved earlier and has come.
   * Only a send the platform took, ignored or refused for good is recorded here; the caller
   * decides what `later` and `retry` mean.
   */
  async function attempt(row: OutboxRow, slotReached: boolean): Promise<Attempt> {
    const id = BigInt(row.id);
    const { to, message } = row;
    const { platform } = to;
    const adapter = adapters.get(platform);
    if (!adapter) {
      await fail(id, `no ${platform} adapter configured`);
      return { kind: 'ended', error: `no ${platform} adapter configured` };
    }
    const pace = adapter.paceMs?.(to) ?? 0;
    if (pace > 0 && !slotReached) {
      const slot = await reserveSlot(redis, `${config.REDIS_PREFIX}:pace:${platform}:${to.workspace}:${to.chatId}`, pace);
      if (slot > Date.now() + 5) return { kind: 'later', at: slot, slot };
    }
    try {
      const sent = await adapter.send(to, message);
      const keys = buttonKeys(message.buttons);
      const actions: SentAction[] = (message.buttons?.flat() ?? []).map((b, i) => ({ action: b.action, key: keys[i]! }));
      // The message is out: a database hiccup from here on is retried in place, never by sending again.
      await afterSend(async () => {
        const err = await recordSent({ id, messageId: sent.messageId, actions });
        if (err) throw err;
      });
      metrics.deliveries.inc({ platform, result: 'sent' });
      metrics.deliveryLatency.observe({ platform }, (Date.now() - row.createdAt.getTime()) / 1000);
      return { kind: 'sent', messageId: sent.messageId };
    } catch (err) {
      if (!(err instanceof DeliveryError)) return { kind: 'retry', error: err instanceof Error ? err : new Error(String(err)) };
      switch (err.failure) {
        case 'ignore':
          await prisma.outboxMessage.update({ where: { id }, data: { status: 'SENT', sentAt: services.clock(), lastError: err.message } });
          return { kind: 'ignored' };
        case 'unreachable': {
          await markUnreachable(row.identityId ?? null, to);
          await fail(id, err.message);
          metrics.deliveries.inc({ platform, result: 'failed' });
          logger.warn({ outboxId: row.id, platform, chatId: to.chatId, reason: err.message }, 'recipient unreachable');
          // The member may have another linked account: the message goes there instead.
          if (row.memberId) await redirect(row.memberId, row.identityId ?? null, message);
          return { kind: 'ended', error: err.message };
        }
        case 'permanent':
          await fail(id, err.message);
          metrics.deliveries.inc({ platform, result: 'failed' });
          logger.error({ outboxId: row.id, platform, reason: err.message }, 'delivery failed for good');
          return { kind: 'ended', error: err.message };
        case 'retry': {
          metrics.deliveries.inc({ platform, result: 'retry' });
          if (err.retryAfterMs === undefined) return { kind: 'retry', error: err };
          const updated = await prisma.outboxMessage.update({
            where: { id },
            data: { attempts: { increment: 1 }, lastError: err.message.slice(0, 500) },
          });
          return { kind: 'later', at: Date.now() + err.retryAfterMs, attempts: updated.attempts, error: err };
        }
      }
    }
  }

  async function processJob(job: Job<OutboundJob>, token?: string): Promise<string> {
    const id = BigInt(job.data.outboxId);
    const stored = await loadRow(id);
    if (!stored || stored.status !== 'PENDING') return 'skipped';
    const row = outboxRow(stored);
    // Without a token the job cannot wait in the delayed set: it is sent now.
    const slotReached = !token || (job.data.slot !== undefined && Date.now() >= job.data.slot - 5);
    const out = await attempt(row, slotReached);
    switch (out.kind) {
      case 'sent':
        return out.messageId;
      case 'ignored':
        return 'ignored';
      case 'ended':
        throw new UnrecoverableError(out.error);
      case 'retry':
        return retryOrFail(out.error, false);
      case 'later':
        // A retry-after was counted on the row already.
        if ((out.attempts !== undefined && out.attempts > MAX_DELAYS) || !token) return retryOrFail(out.error ?? new Error('paced'), out.attempts !== undefined);
        if (out.slot !== undefined) await job.updateData({ ...job.data, slot: out.slot });
        await job.moveToDelayed(out.at, token);
        throw new DelayedError();
    }

    async function retryOrFail(err: Error, counted: boolean): Promise<never> {
      const last = job.attemptsMade + 1 >= maxAttempts;
      await prisma.outboxMessage.update({
        where: { id },
        data: { ...(counted ? {} : { attempts: { increment: 1 } }), lastError: err.message.slice(0, 500), ...(last ? { status: 'FAILED' as const } : {}) },
      });
      if (last) {
        metrics.deliveries.inc({ platform: row.to.platform, result: 'failed' });
        logger.error({ outboxId: row.id, platform: row.to.platform, err }, 'delivery failed after retries');
        throw new UnrecoverableError(err.message);
      }
      throw err;
    }
  }

  /**
   * Sends one chat's fresh rows in order. From the first that cannot go now, it and the rest
   * are queued, the rest due just after it (in their order), so none overtakes it.
   */
  async function sendChat(rows: OutboxRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const queueFrom = (at: number | undefined, first: Omit<Exclude<QueuedRow, string>, 'outboxId'> = {}) =>
        enqueueOutbox(queues, [
          { outboxId: row.id, ...(at !== undefined ? { at } : {}), ...first },
          ...rows.slice(i + 1).map((r, k) => ({ outboxId: r.id, ...(at !== undefined ? { at: at + 1 + k } : {}) })),
        ]);
      // Too old to be sure the sweep has not queued it meanwhile (docs/architecture.md).
      if (Date.now() - row.createdAt.getTime() > SEND_NOW_MAX_AGE_MS) return queueFrom(undefined);
      let out: Attempt;
      try {
        out = await attempt(row, false);
      } catch (err) {
        // The database failed around the send (before it, or after it for longer than the
        // bookkeeping's own retries): the queue tries again.
        out = { kind: 'retry', error: err instanceof Error ? err : new Error(String(err)) };
      }
      if (out.kind === 'later') return queueFrom(out.at, out.slot !== undefined ? { slot: out.slot } : {});
      if (out.kind === 'retry') {
        logger.warn({ outboxId: row.id, platform: row.to.platform, err: out.error.message }, 'delivery attempt failed; retrying from the queue');
        const error = out.error.message.slice(0, 500);
        await prisma.outboxMessage.update({ where: { id: BigInt(row.id) }, data: { attempts: { increment: 1 }, lastError: error } }).catch(() => undefined);
        // This try was the first of the job's: the queue has one fewer left.
        return queueFrom(Date.now() + FIRST_BACKOFF_MS, { tries: maxAttempts - 1 });
      }
    }
  }

  /** Sends fresh rows, one chat's in order, chats side by side. */
  async function sendNow(chats: OutboxRow[][]): Promise<void> {
    const results = await Promise.allSettled(chats.map(sendChat));
    for (const r of results) {
      // Rows that could be neither sent nor queued (Redis away) stay pending for the sweep.
      if (r.status === 'rejected') logger.warn({ err: r.reason }, 'fresh replies could not be queued; the outbox sweep will retry them');
    }
  }

  async function dispatch(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    // A chat's rows go together, all now or all through the queue, so that they keep their order.
    const chats = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const key = `${row.to.platform}\u0000${row.to.workspace}\u0000${row.to.chatId}`;
      const chat = chats.get(key);
      if (chat) chat.push(row);
      else chats.set(key, [row]);
    }
    const now: OutboxRow[][] = [];
    const later: OutboxRow[] = [];
    let taken = 0;
    for (const chat of chats.values()) {
      if (sending + taken + chat.length <= maxInFlight) {
        now.push(chat);
        taken += chat.length;
      } else {
        later.push(...chat);
      }
    }
    if (taken > 0) {
      sending += taken;
      const run = sendNow(now).finally(() => {
        sending -= taken;
        inFlight.delete(run);
      });
      inFlight.add(run);
    }
    await enqueueOutbox(queues, later.map((r) => r.id));
  }

  async function idle(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  async function redirect(memberId: string, deadIdentity: string | null, message: OutboundMessage): Promise<void> {
    const rows = await transaction(prisma, async (db) => {
      const other = await memberRecipient(db, memberId, { exclude: deadIdentity ? [deadIdentity] : [] });
      if (!other) return [];
      // Edits, replies and press answers belong to the old chat; the content is what matters.
      const { editOf: _e, replyTo: _r, pressAck: _p, ...content } = message;
      return writeOutbox(db, [toMember(other, content)]);
    });
    await enqueueOutbox(queues, rows.map((r) => r.id));
  }

  async function markUnreachable(identityId: string | null, to: ChatAddress) {
    const now = services.clock();
    if (identityId) {
      await prisma.chatIdentity.updateMany({ where: { id: identityId }, data: { unreachableAt: now } });
    } else {
      await prisma.roomBinding.updateMany({ where: { platform: dbPlatform(to.platform), workspace: to.workspace, chatId: to.chatId }, data: { unreachableAt: now } });
    }
  }

  return { process: processJob, dispatch, idle };
}

/** A stored outbox row as delivery sends it. */
function outboxRow(r: OutboxMessage): OutboxRow {
  return {
    id: r.id.toString(),
    to: { platform: r.platform.toLowerCase() as Platform, workspace: r.workspace, chatId: r.chatId, ...(r.threadId ? { threadId: r.threadId } : {}) },
    message: r.payload as unknown as OutboundMessage,
    ...(r.communeId ? { communeId: r.communeId } : {}),
    ...(r.memberId ? { memberId: r.memberId } : {}),
    ...(r.identityId ? { identityId: r.identityId } : {}),
    createdAt: r.createdAt,
  };
}

/** A message the platform took: its outbox row, the platform's id, the actions of its buttons. */
interface Sent {
  id: bigint;
  messageId: string;
  actions: SentAction[];
}

/**
 * Marks outbox rows SENT and records the buttons of those that had some (for later presses),
 * in one statement, atomic without a transaction. Where two rows of the batch edit the same
 * platform message, the later row's buttons are kept, as two deliveries in turn would.
 */
async function recordSentMany(prisma: PrismaClient, items: Sent[], at: Date): Promise<void> {
  const ids = items.map((i) => i.id.toString());
  const messageIds = items.map((i) => i.messageId);
  const actions = items.map((i) => (i.actions.length > 0 ? JSON.stringify(i.actions) : null));
  await executeRaw(prisma, Prisma.sql`
    WITH v AS (
      SELECT * FROM unnest(${ids}::bigint[], ${messageIds}::text[], ${actions}::jsonb[]) AS v("id", "messageId", "actions")
    ), sent AS (
      UPDATE "OutboxMessage" AS o
      SET "status" = 'SENT', "sentAt" = ${at}, "platformMessageId" = v."messageId", "attempts" = o."attempts" + 1
      FROM v WHERE o."id" = v."id"
      RETURNING o."id", o."platform", o."workspace", o."chatId", v."messageId", v."actions"
    )
    INSERT INTO "SentMessage" ("id", "platform", "workspace", "chatId", "messageId", "outboxId", "actions", "createdAt")
    SELECT DISTINCT ON ("platform", "workspace", "chatId", "messageId")
      gen_random_uuid()::text, "platform", "workspace", "chatId", "messageId", "id", "actions", ${at}
    FROM sent WHERE "actions" IS NOT NULL
    ORDER BY "platform", "workspace", "chatId", "messageId", "id" DESC
    ON CONFLICT ("platform", "workspace", "chatId", "messageId") DO UPDATE SET "actions" = EXCLUDED."actions", "outboxId" = EXCLUDED."outboxId"`);
}

/**
 * Runs the bookkeeping of a message already sent, retrying transient database failures (a
 * busy pool, a restarting server) for about 15 s: failing the job would send the message again.
 */
async function afterSend<T>(record: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await record();
    } catch (err) {
      if (attempt >= 5 || !isTransient(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (attempt - 1)));
    }
  }
}
