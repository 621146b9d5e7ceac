/**
 * The transactional outbox: messages are rows written with the change that caused them, then
 * handed to the `outbound` queue after commit. A row left pending (crash between commit and
 * enqueue, Redis flushed) is found again by {@link requeuePending}.
 */
import type { Outgoing } from '../core/context.js';
import { dbPlatform } from '../core/context.js';
import type { PrismaClient, Tx } from '../db/client.js';
import type { Queues } from './queues.js';

/** Writes outgoing messages as outbox rows; returns their ids in order. */
export async function writeOutbox(db: Tx, outgoing: Outgoing[], sourceEventKey?: string): Promise<string[]> {
  if (outgoing.length === 0) return [];
  const rows = await db.outboxMessage.createManyAndReturn({
    data: outgoing.map((o) => ({
      platform: dbPlatform(o.to.platform),
      workspace: o.to.workspace,
      chatId: o.to.chatId,
      threadId: o.to.threadId ?? null,
      communeId: o.communeId ?? null,
      memberId: o.memberId ?? null,
      identityId: o.identityId ?? null,
      payload: o.message as object,
      sourceEventKey: sourceEventKey ?? null,
    })),
    select: { id: true },
  });
  return rows.map((r) => r.id.toString());
}

/** Hands outbox rows to the delivery queue (job id `out-<id>`, so a second enqueue is a no-op). */
export async function enqueueOutbox(queues: Queues, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await queues.outbound.addBulk(ids.map((outboxId) => ({ name: 'deliver', data: { outboxId }, opts: { jobId: `out-${outboxId}` } })));
}

/**
 * Re-enqueues pending rows older than `olderThanMs` (their job may have been lost); returns how
 * many. Job ids are deterministic, so rows whose job still exists are not doubled.
 */
export async function requeuePending(prisma: PrismaClient, queues: Queues, now: Date, olderThanMs = 30_000): Promise<number> {
  const rows = await prisma.outboxMessage.findMany({
    where: { status: 'PENDING', createdAt: { lt: new Date(now.getTime() - olderThanMs) } },
    select: { id: true },
    orderBy: { id: 'asc' },
    take: 5000,
  });
  const ids = rows.map((r) => r.id.toString());
  const missing: string[] = [];
  for (const id of ids) {
    const state = await queues.outbound.getJobState(`out-${id}`);
    if (state === 'unknown' || state === 'completed' || state === 'failed') {
      // A completed/failed job with a pending row means the row update was lost: retry it.
      if (state !== 'unknown') await queues.outbound.remove(`out-${id}`).catch(() => undefined);
      missing.push(id);
    }
  }
  await enqueueOutbox(queues, missing);
  return missing.length;
}
