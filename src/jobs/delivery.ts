/**
 * The delivery worker's job: send one outbox row through its platform's adapter, record the
 * platform message id (and the actions its buttons carry), and map failures to retry, delay
 * (the platform's retry-after) or a permanent end. Messages to one chat are paced by the
 * adapter's limit; a member who became unreachable on one account gets it on another.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Services } from '../core/context.js';
import { DeliveryError } from '../core/errors.js';
import { buttonKeys, type Adapter, type OutboundMessage, type Platform, type SentAction } from '../core/types.js';
import type { PrismaClient } from '../db/client.js';
import type { Platform as DbPlatform } from '../generated/prisma/enums.js';
import type { Metrics } from '../metrics.js';
import { memberRecipient, toMember } from '../core/recipients.js';
import { batcher } from './batch.js';
import { isTransient } from './inbound.js';
import { enqueueOutbox, writeOutbox } from './outbox.js';
import { reserveSlot } from './pacing.js';
import { OUTBOUND_JOB_OPTIONS, type OutboundJob, type Queues } from './queues.js';

/** Past this many platform-requested delays a message fails for good. */
const MAX_DELAYS = 50;

/** Builds the `outbound` processor for the adapters this process can send with. */
export function deliveryProcessor(services: Services, metrics: Metrics, adapters: ReadonlyMap<Platform, Adapter>, queues: Queues) {
  const { prisma, logger, redis, config } = services;
  const maxAttempts = OUTBOUND_JOB_OPTIONS.attempts ?? 1;

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

  return async (job: Job<OutboundJob>, token?: string): Promise<string> => {
    const id = BigInt(job.data.outboxId);
    const row = await loadRow(id);
    if (!row || row.status !== 'PENDING') return 'skipped';
    const platform = row.platform.toLowerCase() as Platform;
    const adapter = adapters.get(platform);
    if (!adapter) {
      await fail(id, `no ${platform} adapter configured`);
      throw new UnrecoverableError(`no ${platform} adapter configured`);
    }
    const message = row.payload as unknown as OutboundMessage;
    const to = { platform, workspace: row.workspace, chatId: row.chatId, ...(row.threadId ? { threadId: row.threadId } : {}) };
    const pace = adapter.paceMs?.(to) ?? 0;
    if (pace > 0 && token && !(job.data.slot !== undefined && Date.now() >= job.data.slot - 5)) {
      const slot = await reserveSlot(redis, `${config.REDIS_PREFIX}:pace:${platform}:${row.workspace}:${row.chatId}`, pace);
      if (slot > Date.now() + 5) {
        await job.updateData({ ...job.data, slot });
        await job.moveToDelayed(slot, token);
        throw new DelayedError();
      }
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
      return sent.messageId;
    } catch (err) {
      if (!(err instanceof DeliveryError)) {
        // Unknown failure (network, adapter bug): retry with backoff, fail for good at the end.
        return retryOrFail(err instanceof Error ? err : new Error(String(err)));
      }
      switch (err.failure) {
        case 'ignore':
          await prisma.outboxMessage.update({ where: { id }, data: { status: 'SENT', sentAt: services.clock(), lastError: err.message } });
          return 'ignored';
        case 'unreachable': {
          await markUnreachable(row.identityId, row.platform, row.workspace, row.chatId);
          await fail(id, err.message);
          metrics.deliveries.inc({ platform, result: 'failed' });
          logger.warn({ outboxId: row.id.toString(), platform, chatId: row.chatId, reason: err.message }, 'recipient unreachable');
          // The member may have another linked account: the message goes there instead.
          if (row.memberId) await redirect(row.memberId, row.identityId, message);
          throw new UnrecoverableError(err.message);
        }
        case 'permanent':
          await fail(id, err.message);
          metrics.deliveries.inc({ platform, result: 'failed' });
          logger.error({ outboxId: row.id.toString(), platform, reason: err.message }, 'delivery failed for good');
          throw new UnrecoverableError(err.message);
        case 'retry': {
          metrics.deliveries.inc({ platform, result: 'retry' });
          if (err.retryAfterMs !== undefined && token) {
            const updated = await prisma.outboxMessage.update({
              where: { id },
              data: { attempts: { increment: 1 }, lastError: err.message.slice(0, 500) },
            });
            if (updated.attempts > MAX_DELAYS) return retryOrFail(err);
            await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
            throw new DelayedError();
          }
          return retryOrFail(err);
        }
      }
    }

    async function retryOrFail(err: Error): Promise<never> {
      const last = job.attemptsMade + 1 >= maxAttempts;
      await prisma.outboxMessage.update({
        where: { id },
        data: { attempts: { increment: 1 }, lastError: err.message.slice(0, 500), ...(last ? { status: 'FAILED' as const } : {}) },
      });
      if (last) {
        metrics.deliveries.inc({ platform, result: 'failed' });
        logger.error({ outboxId: id.toString(), platform, err }, 'delivery failed after retries');
        throw new UnrecoverableError(err.message);
      }
      throw err;
    }
  };

  async function redirect(memberId: string, deadIdentity: string | null, message: OutboundMessage): Promise<void> {
    const ids = await prisma.$transaction(async (db) => {
      const other = await memberRecipient(db, memberId, { exclude: deadIdentity ? [deadIdentity] : [] });
      if (!other) return [];
      // Edits, replies and press answers belong to the old chat; the content is what matters.
      const { editOf: _e, replyTo: _r, pressAck: _p, ...content } = message;
      return writeOutbox(db, [toMember(other, content)]);
    });
    await enqueueOutbox(queues, ids);
  }

  async function markUnreachable(identityId: string | null, platform: DbPlatform, workspace: string, chatId: string) {
    const now = services.clock();
    if (identityId) {
      await prisma.chatIdentity.updateMany({ where: { id: identityId }, data: { unreachableAt: now } });
    } else {
      await prisma.roomBinding.updateMany({ where: { platform, workspace, chatId }, data: { unreachableAt: now } });
    }
  }
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
  await prisma.$executeRaw`
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
    ON CONFLICT ("platform", "workspace", "chatId", "messageId") DO UPDATE SET "actions" = EXCLUDED."actions", "outboxId" = EXCLUDED."outboxId"`;
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
