/**
 * The inbound worker's work (a job carries up to sixteen events): handle each platform event
 * once, in one transaction that makes the change with its audit rows, then records the event
 * key and writes the replies to the outbox (one statement). A key already taken rolls the whole
 * change back. Events that arrive together share one transaction ({@link handleInboundBatch}).
 */
import { Context, type Middleware, type Services } from '../core/context.js';
import { UserError } from '../core/errors.js';
import { findIdentities, initialLocale } from '../core/pipeline.js';
import type { InboundEvent } from '../core/types.js';
import type { Tx } from '../db/client.js';
import { transaction } from '../db/sql.js';
import type { Metrics } from '../metrics.js';
import { claimAndWriteOutbox, type OutboxRow } from './outbox.js';

/** What handling an event produced. */
export interface InboundResult {
  duplicate: boolean;
  /** The replies written, to deliver now that the change is committed. */
  replies: OutboxRow[];
  /** Reminders created or moved, to schedule now that the change is committed. */
  reminderIds?: string[];
}

/** Thrown inside an event's transaction to roll it back when the event was already handled. */
class Duplicate extends Error {}

/** Driver adapter error kinds of a conflict or of a connection that a retry may find again. */
const TRANSIENT_KINDS = new Set(['TransactionWriteConflict', 'DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/**
 * Errors worth retrying the whole job for (database or network trouble, a deadlock or a
 * serialization failure), not bugs. A raw query's failure comes as P2010 with the driver's
 * error inside (`meta.driverAdapterError.cause`): its SQLSTATE (`originalCode`), or for a lost
 * or refused connection only its kind.
 */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } };
  if (e?.name === 'PrismaClientInitializationError') return true;
  if (e?.code && ['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034', '40001', '40P01'].includes(e.code)) return true;
  const cause = e?.meta?.driverAdapterError?.cause;
  if (cause?.originalCode && ['40001', '40P01'].includes(cause.originalCode)) return true;
  if (cause?.kind && TRANSIENT_KINDS.has(cause.kind)) return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|connection.*closed|terminating connection|deadlock detected/i.test(e?.message ?? '');
}

/** The contexts of a batch's events as they start, and the one whose handling failed first. */
interface Progress {
  contexts: Context[];
  failed?: Context;
}

/**
 * Runs the pipeline for the events of `items` (with their flood ranks) in one transaction, then
 * claims their keys and writes their replies in one statement (docs/performance.md). The
 * senders' communes are locked first, in id order. A commune's events run one after the other,
 * in their order; the communes' side by side, so that what they ask of the database in the same
 * turn of the event loop can go in one statement (the tasks they create: `createTask` in
 * src/domain/tasks.ts). Throws, and so rolls all of it back, when any of them fails or was
 * handled already; `progress` then says which failed.
 */
async function handleTogether(services: Services, run: Middleware, items: Ranked[], progress: Progress): Promise<InboundResult[]> {
  const { prisma, config } = services;
  const events = items.map((i) => i.event);
  return transaction(
    prisma,
    async (db) => {
      // The senders, and a lock on their communes' rows.
      const identities = await findIdentities(db, events, { lock: true });
      // A sender's events are in one chain: their commune is that of their identity. Those not
      // linked yet are a chain of their own, run first and alone: joining a commune changes what
      // the others may see, as it did when events ran one after the other.
      const chains = new Map<string, number[]>();
      events.forEach((_, i) => {
        const commune = identities[i]?.communeId ?? '';
        const chain = chains.get(commune);
        if (chain) chain.push(i);
        else chains.set(commune, [i]);
      });
      const seen = new Set<string>();
      const byIndex: Context[] = [];
      let failure: { err: unknown } | undefined;
      const chain = async (indexes: number[]) => {
        for (const i of indexes) {
          if (failure) return;
          const event = events[i]!;
          let c: Context | undefined;
          try {
            // A sender's earlier event in this batch may have linked them, changed their language
            // or erased them: their identity is read again for the next one.
            const sender = `${event.chat.platform}\u0000${event.chat.workspace}\u0000${event.sender.userId}`;
            const identity = seen.has(sender) ? (await findIdentities(db, [event]))[0]! : identities[i]!;
            seen.add(sender);
            c = new Context(event, services, db, initialLocale(event.sender.locale, config.DEFAULT_LOCALE), identity, items[i]!.rank);
            byIndex[i] = c;
            progress.contexts.push(c);
            await run(c, async () => undefined);
          } catch (err) {
            if (!failure) {
              failure = { err };
              progress.failed = c;
            }
            return;
          }
        }
      };
      const unlinked = chains.get('');
      chains.delete('');
      if (unlinked) await chain(unlinked);
      // Every chain ends before the transaction does, failed or not.
      await Promise.all([...chains.values()].map(chain));
      if (failure) throw failure.err;
      // Keys are claimed last, with the replies: a duplicate is rare, a statement is saved on
      // every event.
      const replies = await claimAndWriteOutbox(db, byIndex.map((c) => ({ event: c.event, outgoing: c.outgoing })));
      if (!replies) throw new Duplicate();
      return byIndex.map((c, i) => ({ duplicate: false, replies: replies[i]!, reminderIds: [...c.reminderIds] }));
    },
    { timeout: 15_000, maxWait: 10_000 },
  );
}

function counted(metrics: Metrics, contexts: Context[]): void {
  for (const c of contexts) if (c.command) metrics.commands.inc({ command: c.command.name, outcome: c.outcome });
}

/**
 * Handles an event with its flood rank (counted by the ingress pump, or `rankEvents`): runs the
 * pipeline in a transaction. A {@link UserError} rolls the change back and answers the user; a
 * transient failure is rethrown (the job retries) unless `lastAttempt`; anything else is logged
 * once and answered with a polite generic message. An event handled already (its key is taken)
 * is reported as a duplicate, neither counted nor logged, whatever its second run did.
 */
export async function handleInbound(services: Services, metrics: Metrics, run: Middleware, item: InboundItem): Promise<InboundResult> {
  const { prisma, logger, config } = services;
  const { event, lastAttempt = true } = item;
  const progress: Progress = { contexts: [] };
  let failure: unknown;
  try {
    const [result] = await handleTogether(services, run, [item], progress);
    counted(metrics, progress.contexts);
    return result!;
  } catch (err) {
    failure = err;
  }
  if (failure instanceof Duplicate) return { duplicate: true, replies: [] };
  if (!(failure instanceof UserError) && isTransient(failure) && !lastAttempt) throw failure;
  // The change was rolled back; answer from the same context (it knows the member's locale).
  const ctx = progress.contexts[0];
  const command = ctx?.command?.name ?? 'none';
  const answer = ctx ?? new Context(event, services, prisma as unknown as Tx, initialLocale(event.sender.locale, config.DEFAULT_LOCALE), null, 0);
  answer.outgoing.length = 0;
  if (failure instanceof UserError) {
    // A mistake of the user's: only they need to see the answer (Slack shows it ephemerally).
    answer.reply({ text: answer.t(failure.key as never, failure.params), ephemeralFor: event.sender.userId });
  } else {
    answer.reply(answer.tr('core.internalError'));
  }
  const replies = await claimAndWriteOutbox(prisma as unknown as Tx, [{ event, outgoing: answer.outgoing }]);
  if (!replies) return { duplicate: true, replies: [] };
  if (failure instanceof UserError) {
    metrics.commands.inc({ command, outcome: failure.code === 'E_FORBIDDEN' ? 'forbidden' : 'user_error' });
  } else {
    metrics.commands.inc({ command, outcome: 'error' });
    logger.error({ err: failure, eventId: event.id, platform: event.chat.platform, command }, 'command failed');
  }
  return { duplicate: false, replies: replies[0]! };
}

/** An event and its rank among its sender's events of the minute (the flood guard's count). */
interface Ranked {
  event: InboundEvent;
  rank: number;
}

/** An event to handle, its flood rank, and whether its job has retries left (default: none). */
export interface InboundItem extends Ranked {
  lastAttempt?: boolean;
}

/** Why a batch was replayed, for `pilote_inbound_batches_total`. */
function replayReason(err: unknown): string {
  if (err instanceof UserError) return 'user_error';
  if (err instanceof Duplicate) return 'duplicate';
  return isTransient(err) ? 'transient' : 'error';
}

/**
 * Handles events that arrived together in one transaction (group commit: one BEGIN, one
 * COMMIT and one claim-and-outbox statement for all, docs/performance.md). When anything in
 * the batch fails nothing of it stays. A user's mistake is known by the event that made it:
 * that event is handled alone by {@link handleInbound}, and those before and after it, in
 * their order, as two batches again. Any other failure (an event already handled, a conflict)
 * has each event handled alone, one after the other, where its failure is its own. Returns
 * each event's result, or the error its job should fail with.
 */
export async function handleInboundBatch(services: Services, metrics: Metrics, run: Middleware, items: InboundItem[]): Promise<(InboundResult | Error)[]> {
  if (items.length > 1) {
    const progress: Progress = { contexts: [] };
    let results: InboundResult[] | undefined;
    let culprit = -1;
    try {
      results = await handleTogether(services, run, items, progress);
    } catch (err) {
      const reason = replayReason(err);
      metrics.inboundBatches.inc({ outcome: 'replayed', reason });
      // The mistake is the event whose handling threw it.
      const failed = progress.failed;
      if (err instanceof UserError && failed) culprit = items.findIndex((i) => i.event === failed.event);
      // A user's mistake or a duplicate is ordinary; anything else is worth a look, though the
      // replay below logs the event that fails alone.
      if (reason === 'error' || reason === 'transient') {
        services.logger.warn({ err, events: items.map((i) => i.event.id) }, 'inbound batch failed; replaying its events one by one');
      }
    }
    if (results) {
      counted(metrics, progress.contexts);
      metrics.inboundBatches.inc({ outcome: 'committed' });
      return results;
    }
    if (culprit >= 0) {
      const before = await handleInboundBatch(services, metrics, run, items.slice(0, culprit));
      const alone = await handleInboundBatch(services, metrics, run, [items[culprit]!]);
      return [...before, ...alone, ...(await handleInboundBatch(services, metrics, run, items.slice(culprit + 1)))];
    }
  }
  const out: (InboundResult | Error)[] = [];
  for (const i of items) {
    out.push(await handleInbound(services, metrics, run, i).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
  }
  return out;
}
