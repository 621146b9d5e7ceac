/**
 * The transactional outbox: messages are rows written with the change that caused them, then
 * handed to the `outbound` queue after commit. A row left pending (crash between commit and
 * enqueue, Redis flushed) is found again by {@link requeuePending}.
 */
import type { Outgoing } from '../core/context.js';
import { dbPlatform } from '../core/context.js';
import type { PrismaClient, Tx } from '../db/client.js';
import type { Queues } from './queues.js';

/**
 * Writes outgoing messages as outbox rows; returns their ids in order. One statement of the
 * same shape whatever the number of rows: a `createMany` of n rows is a new query shape for
 * each n, compiled afresh by Prisma's query compiler (docs/performance.md). Timestamps are
 * given, not left to the column default, which would read the session's time zone: they are
 * stored as UTC wall time, as Prisma writes them.
 */
export async function writeOutbox(db: Tx, outgoing: Outgoing[], sourceEventKey?: string): Promise<string[]> {
  if (outgoing.length === 0) return [];
  const col = <T>(pick: (o: Outgoing) => T) => outgoing.map(pick);
  const rows = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO "OutboxMessage" ("platform", "workspace", "chatId", "threadId", "communeId", "memberId", "identityId", "payload", "sourceEventKey", "createdAt")
    SELECT v."platform"::"Platform", v."workspace", v."chatId", v."threadId", v."communeId", v."memberId", v."identityId", v."payload", ${sourceEventKey ?? null}, ${new Date()}
    FROM unnest(
      ${col((o) => dbPlatform(o.to.platform))}::text[], ${col((o) => o.to.workspace)}::text[], ${col((o) => o.to.chatId)}::text[],
      ${col((o) => o.to.threadId ?? null)}::text[], ${col((o) => o.communeId ?? null)}::text[], ${col((o) => o.memberId ?? null)}::text[],
      ${col((o) => o.identityId ?? null)}::text[], ${col((o) => JSON.stringify(o.message))}::jsonb[]
    ) WITH ORDINALITY AS v("platform", "workspace", "chatId", "threadId", "communeId", "memberId", "identityId", "payload", "n")
    ORDER BY v."n"
    RETURNING "id"`;
  // Rows are inserted in the order given, so their serial ids rise in that order.
  return rows
    .map((r) => r.id)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((id) => id.toString());
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
