/**
 * The inbound worker's job: handle one platform event once, in one transaction that makes the
 * change with its audit rows, then records the event key and writes the replies to the outbox
 * (one statement). A key already taken rolls the whole change back.
 */
import { Context, type Middleware, type Services } from '../core/context.js';
import { UserError } from '../core/errors.js';
import { initialLocale } from '../core/pipeline.js';
import type { InboundEvent } from '../core/types.js';
import type { Tx } from '../db/client.js';
import type { Metrics } from '../metrics.js';
import { claimAndWriteOutbox } from './outbox.js';

/** What handling an event produced. */
export interface InboundResult {
  duplicate: boolean;
  outboxIds: string[];
  /** Reminders created or moved, to schedule now that the change is committed. */
  reminderIds?: string[];
}

/** Thrown inside an event's transaction to roll it back when the event was already handled. */
class Duplicate extends Error {}

/** Errors worth retrying the whole job for (database or network trouble), not bugs. */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.name === 'PrismaClientInitializationError') return true;
  if (e?.code && ['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034', '40001', '40P01'].includes(e.code)) return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|connection.*closed|terminating connection/i.test(e?.message ?? '');
}

/**
 * Handles an event: runs the pipeline in a transaction. A {@link UserError} rolls the change
 * back and answers the user; a transient failure is rethrown (the job retries) unless
 * `lastAttempt`; anything else is logged once and answered with a polite generic message.
 */
export async function handleInbound(
  services: Services,
  metrics: Metrics,
  run: Middleware,
  event: InboundEvent,
  lastAttempt = true,
): Promise<InboundResult> {
  const { prisma, logger, config } = services;
  let ctx: Context | undefined;
  try {
    const result = await prisma.$transaction(
      async (db) => {
        const c = new Context(event, services, db, initialLocale(event.sender.locale, config.DEFAULT_LOCALE));
        ctx = c;
        await run(c, async () => undefined);
        // The key is claimed last, with the replies: a duplicate is rare, one statement is saved
        // on every event (docs/performance.md).
        const outboxIds = await claimAndWriteOutbox(db, event, c.outgoing);
        if (!outboxIds) throw new Duplicate();
        return { duplicate: false, outboxIds, reminderIds: [...c.reminderIds] };
      },
      { timeout: 15_000, maxWait: 10_000 },
    );
    if (ctx?.command) metrics.commands.inc({ command: ctx.command.name, outcome: ctx.outcome });
    return result;
  } catch (err) {
    if (err instanceof Duplicate) return { duplicate: true, outboxIds: [] };
    const command = ctx?.command?.name ?? 'none';
    if (!(err instanceof UserError) && isTransient(err) && !lastAttempt) throw err;
    // The change was rolled back; answer from the same context (it knows the member's locale).
    const answer = ctx ?? new Context(event, services, prisma as unknown as Tx, initialLocale(event.sender.locale, config.DEFAULT_LOCALE));
    answer.outgoing.length = 0;
    if (err instanceof UserError) {
      metrics.commands.inc({ command, outcome: err.code === 'E_FORBIDDEN' ? 'forbidden' : 'user_error' });
      // A mistake of the user's: only they need to see the answer (Slack shows it ephemerally).
      answer.reply({ text: answer.t(err.key as never, err.params), ephemeralFor: event.sender.userId });
    } else {
      metrics.commands.inc({ command, outcome: 'error' });
      logger.error({ err, eventId: event.id, platform: event.chat.platform, command }, 'command failed');
      answer.reply(answer.tr('core.internalError'));
    }
    const outboxIds = await claimAndWriteOutbox(prisma as unknown as Tx, event, answer.outgoing);
    return outboxIds ? { duplicate: false, outboxIds } : { duplicate: true, outboxIds: [] };
  }
}
