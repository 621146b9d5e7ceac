/**
 * The transactional outbox: messages are rows written with the change that caused them, then
 * handed to the `outbound` queue after commit. A row left pending (crash between commit and
 * enqueue, Redis flushed) is found again by {@link requeuePending}.
 */
import { dbPlatform, type Outgoing } from '../core/context.js';
import type { InboundEvent } from '../core/types.js';
import type { PrismaClient, Tx } from '../db/client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Queues } from './queues.js';
import { queryRaw } from '../db/sql.js';

/**
 * The outbox rows of `outgoing`, as a `SELECT` to insert from: one statement of the same shape
 * whatever the number of rows (a `createMany` of n rows is a new query shape for each n,
 * compiled afresh by Prisma's query compiler, docs/performance.md). `sources[i]` is the event
 * row i answers, if any. Timestamps are given, not left to the column default, which would
 * read the session's time zone: they are stored as UTC wall time, as Prisma writes them.
 * `v."n"` is each row's position.
 */
function outboxRows(outgoing: Outgoing[], sources: (string | null)[], at: Date): Prisma.Sql {
  const col = <T>(pick: (o: Outgoing) => T) => outgoing.map(pick);
  return Prisma.sql`
    SELECT v."platform"::"Platform", v."workspace", v."chatId", v."threadId", v."communeId", v."memberId", v."identityId", v."payload", v."source", ${at}
    FROM unnest(
      ${col((o) => dbPlatform(o.to.platform))}::text[], ${col((o) => o.to.workspace)}::text[], ${col((o) => o.to.chatId)}::text[],
      ${col((o) => o.to.threadId ?? null)}::text[], ${col((o) => o.communeId ?? null)}::text[], ${col((o) => o.memberId ?? null)}::text[],
      ${col((o) => o.identityId ?? null)}::text[], ${col((o) => JSON.stringify(o.message))}::jsonb[], ${sources}::text[]
    ) WITH ORDINALITY AS v("platform", "workspace", "chatId", "threadId", "communeId", "memberId", "identityId", "payload", "source", "n")`;
}

const OUTBOX_COLUMNS = Prisma.sql`"platform", "workspace", "chatId", "threadId", "communeId", "memberId", "identityId", "payload", "sourceEventKey", "createdAt"`;

/**
 * An outbox row as delivery sends it: the message and where it goes, its id and when it was
 * written. Rows just written are handed to delivery as they are, without reading them back.
 */
export interface OutboxRow extends Outgoing {
  id: string;
  createdAt: Date;
}

/** `outgoing` as the rows written at `at` with these ids, in order. */
function written(outgoing: Outgoing[], ids: string[], at: Date): OutboxRow[] {
  return outgoing.map((o, i) => ({ ...o, id: ids[i]!, createdAt: at }));
}

/** Writes outgoing messages as outbox rows, in one statement; returns the rows in order. */
export async function writeOutbox(db: Tx, outgoing: Outgoing[], sourceEventKey?: string): Promise<OutboxRow[]> {
  if (outgoing.length === 0) return [];
  const at = new Date();
  const rows = await queryRaw<{ id: bigint }[]>(db, Prisma.sql`
    INSERT INTO "OutboxMessage" (${OUTBOX_COLUMNS})
    ${outboxRows(outgoing, outgoing.map(() => sourceEventKey ?? null), at)}
    ORDER BY v."n"
    RETURNING "id"`);
  // Rows are inserted in the order given, so their serial ids rise in that order.
  const ids = rows
    .map((r) => r.id)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((id) => id.toString());
  return written(outgoing, ids, at);
}

/** An event handled, and the replies it gave. */
export interface Answered {
  event: InboundEvent;
  outgoing: Outgoing[];
}

/**
 * Claims the key of each event and writes their replies, in one statement at the end of their
 * transaction (docs/performance.md): the rows are written only if every key was free. Returns
 * each event's outbox rows in order, or null when a key was already taken (the event was
 * handled, or is being handled by a transaction that then commits: the insert waits for it) —
 * the caller then rolls back. With several events it must run in a transaction: keys claimed
 * before one found taken are given back only by rolling back.
 */
export async function claimAndWriteOutbox(db: Tx, answered: Answered[]): Promise<OutboxRow[][] | null> {
  const outgoing = answered.flatMap((a) => a.outgoing);
  const at = new Date();
  const sources = answered.flatMap((a) => a.outgoing.map(() => a.event.id));
  const [row] = await queryRaw<{ claimed: number; ids: string[] | null }[]>(db, Prisma.sql`
    WITH "claimed" AS (
      INSERT INTO "HandledEvent" ("key", "platform", "handledAt")
      SELECT e."key", e."platform"::"Platform", ${at}
      FROM unnest(${answered.map((a) => a.event.id)}::text[], ${answered.map((a) => dbPlatform(a.event.chat.platform))}::text[]) AS e("key", "platform")
      ON CONFLICT ("key") DO NOTHING
      RETURNING 1
    ), "written" AS (
      INSERT INTO "OutboxMessage" (${OUTBOX_COLUMNS})
      ${outboxRows(outgoing, sources, at)}
      WHERE (SELECT count(*) FROM "claimed") = ${answered.length}
      ORDER BY v."n"
      RETURNING "id"
    )
    SELECT (SELECT count(*) FROM "claimed")::int AS "claimed", (SELECT array_agg("id" ORDER BY "id")::text[] FROM "written") AS "ids"`);
  if (row?.claimed !== answered.length) return null;
  // Rows were inserted in order, each event's together (serial ids rise in that order): split
  // the ordered ids by event.
  const rows = written(outgoing, row.ids ?? [], at);
  let n = 0;
  return answered.map((a) => rows.slice(n, (n += a.outgoing.length)));
}

/**
 * A row to queue for delivery: its id, or its id with the time (epoch ms) it may go, the paced
 * slot it holds, and how many tries its job gets (fewer when one was made already).
 */
export type QueuedRow = string | { outboxId: string; at?: number; slot?: number; tries?: number };

/** The `outbound` job id of an outbox row (deterministic, so a second enqueue is a no-op). */
export function outboxJobId(outboxId: string): string {
  return `out-${outboxId}`;
}

/** Hands outbox rows to the delivery queue, in one `addBulk`; a row given a later `at` waits until then. */
export async function enqueueOutbox(queues: Queues, rows: QueuedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const now = Date.now();
  await queues.outbound.addBulk(
    rows.map((r) => {
      const { outboxId, at, slot, tries }: Exclude<QueuedRow, string> = typeof r === 'string' ? { outboxId: r } : r;
      return {
        name: 'deliver',
        data: slot === undefined ? { outboxId } : { outboxId, slot },
        opts: { jobId: outboxJobId(outboxId), ...(at !== undefined && at > now ? { delay: at - now } : {}), ...(tries !== undefined ? { attempts: tries } : {}) },
      };
    }),
  );
}

/**
 * Re-enqueues pending rows older than `olderThanMs` (their job may have been lost, or the worker
 * that was sending them died); returns how many. Job ids are deterministic, so rows whose job
 * still exists are not doubled. A worker sends its fresh rows itself only while they are young
 * (delivery.ts), well inside this age.
 */
export async function requeuePending(prisma: PrismaClient, queues: Queues, now: Date, olderThanMs = 120_000): Promise<number> {
  const rows = await prisma.outboxMessage.findMany({
    where: { status: 'PENDING', createdAt: { lt: new Date(now.getTime() - olderThanMs) } },
    select: { id: true },
    orderBy: { id: 'asc' },
    take: 5000,
  });
  const ids = rows.map((r) => r.id.toString());
  const missing: string[] = [];
  for (const id of ids) {
    const state = await queues.outbound.getJobState(outboxJobId(id));
    if (state === 'unknown' || state === 'completed' || state === 'failed') {
      // A completed/failed job with a pending row means the row update was lost: retry it.
      if (state !== 'unknown') await queues.outbound.remove(outboxJobId(id)).catch(() => undefined);
      missing.push(id);
    }
  }
  await enqueueOutbox(queues, missing);
  return missing.length;
}
