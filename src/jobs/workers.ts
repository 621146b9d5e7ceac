/**
 * The BullMQ workers of a process: `inbound` (events → pipeline → outbox), `outbound`
 * (outbox → adapters), `reminders` (fire due reminders) and `digests` (build and send digests).
 * Each has an error listener and is closed (drained) on shutdown. The rows the last three
 * commit are sent at once by this process where they can be, the rest go through `outbound`
 * ({@link createDelivery}).
 */
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Middleware, Services } from '../core/context.js';
import type { Adapter, Platform } from '../core/types.js';
import type { Metrics } from '../metrics.js';
import { createDelivery, type Delivery } from './delivery.js';
import { batcher } from '../core/batch.js';
import { handleInboundBatch, type InboundItem, type InboundResult } from './inbound.js';
import { digestProcessor } from './digests.js';
import { rankEvents } from '../core/pipeline.js';
import { DIGESTS, INBOUND, INBOUND_EVENTS_PER_JOB, INBOUND_JOB_OPTIONS, OUTBOUND, REMINDERS, inboundEvents, inboundRanks, type DigestJob, type InboundJob, type OutboundJob, type Queues, type ReminderJob } from './queues.js';
import { reminderProcessor, scheduleReminders } from './reminders.js';

/** Options of {@link startWorkers}. */
export interface WorkerOptions {
  services: Services;
  metrics: Metrics;
  queues: Queues;
  connection: ConnectionOptions;
  pipeline: Middleware;
  adapters: ReadonlyMap<Platform, Adapter>;
  concurrency: number;
}

/** Inbound batches that run at once in a process (each on a connection of the pool). */
const INBOUND_PARALLEL = 3;

/**
 * How many `inbound` BullMQ workers a process runs, each taking one job (up to
 * {@link INBOUND_EVENTS_PER_JOB} events) at a time: one more than the batches that run at once.
 */
const INBOUND_WORKERS = INBOUND_PARALLEL + 1;

/** How many more jobs at once the outbound and reminder workers take than the others (they batch up to 64). */
const BATCHED = 16;

/** The workers of a process, and its delivery (whose sends in flight shutdown waits for). */
export interface Workers {
  workers: Worker[];
  delivery: Delivery;
}

/** Starts the workers. */
export function startWorkers(opts: WorkerOptions): Workers {
  const { services, metrics, queues, connection, pipeline } = opts;
  // A reply is sent by the worker that committed it (no second job), up to as many at once as
  // the outbound worker would take; past that, and on any failure, it goes through the queue.
  const delivery = createDelivery(services, metrics, opts.adapters, queues, opts.concurrency * BATCHED);
  const onError = (err: Error) => services.logger.error({ err }, 'worker error');
  const maxInbound = INBOUND_JOB_OPTIONS.attempts ?? 1;

  // Events taken at the same time (a job's, or several jobs' when they come one by one) are
  // handled in one transaction, three batches at a time in a burst: a batch's statements run one
  // after the other, so with two the process waited for PostgreSQL a fifth of a burst. Beside a
  // running batch, another starts only for a full one, or for events that waited 100 ms (a slow
  // batch, stuck on a lock or replaying its events, holds the others back no longer); fewer
  // events wait for it to end and go together, where each would otherwise pay a transaction of
  // its own on the same event loop at a steady 200 commands/s (docs/performance.md, tenth round).
  // Each locks its senders' communes first (in id order, so two batches cannot deadlock on them),
  // then runs a commune's events in order and the communes side by side, their new tasks
  // written together; a deadlock on other rows cancels one batch, which is replayed event by event.
  // After commit, the batch's replies are dispatched (sent now or queued in one `addBulk`) and its
  // reminders scheduled together. If that fails, its jobs fail: a retry finds its events handled,
  // and the replies, still pending, are queued by the pending-row sweep, the reminders by reconcile.
  const handle = batcher({ max: INBOUND_EVENTS_PER_JOB, lingerMs: 0, parallel: INBOUND_PARALLEL, parallelFrom: INBOUND_EVENTS_PER_JOB, parallelAfterMs: 100 }, async (items: InboundItem[]) => {
    const results = await handleInboundBatch(services, metrics, pipeline, items);
    const done = results.filter((r): r is InboundResult => !(r instanceof Error));
    try {
      await delivery.dispatch(done.flatMap((r) => r.replies));
      const reminderIds = done.flatMap((r) => r.reminderIds ?? []);
      if (reminderIds.length) await scheduleReminders(services.prisma, queues, reminderIds, services.clock);
    } catch (err) {
      const failed = err instanceof Error ? err : new Error(String(err));
      return results.map((r) => (r instanceof Error ? r : failed));
    }
    return results;
  });
  // A job holds up to INBOUND_EVENTS_PER_JOB events (the ingress pump groups those that came
  // together). If any of them fails, the job is retried whole: those already handled are
  // recognised by their key and skipped.
  const processInbound = async (job: Job<InboundJob>) => {
    const lastAttempt = job.attemptsMade + 1 >= maxInbound;
    const events = inboundEvents(job.data);
    // The pump ranked the events as it took them; an older version's job, or one with an event
    // the pump could not read, is ranked here.
    const ranks = inboundRanks(job.data) ?? (await rankEvents(services, events));
    const results = await Promise.all(events.map((event, i) => handle({ event, lastAttempt, rank: ranks[i]! })));
    const failed = results.find((r): r is Error => r instanceof Error);
    if (failed) throw failed;
    const handled = results as InboundResult[];
    return `${handled.filter((r) => !r.duplicate).length} handled, ${handled.filter((r) => r.duplicate).length} duplicate, ${handled.reduce((n, r) => n + r.replies.length, 0)} replies`;
  };
  // Several BullMQ workers that take one job each, rather than one that takes many: a worker
  // with room for more jobs asks Redis for another before it starts the one it just took (a
  // round trip that finds nothing when commands come one by one), and then wakes at once to the
  // marker its own take left, to find nothing again. A worker of one job starts it at once and
  // takes the next with its completion (`moveToFinished`). The jobs the others take meanwhile
  // wait in the batcher and share the next batch (docs/performance.md, twelfth round).
  const inbound = Array.from(
    { length: INBOUND_WORKERS },
    () => new Worker<InboundJob, string>(INBOUND, processInbound, { connection, prefix: queues.prefix, concurrency: 1 }),
  );
  // Deliveries and reminders are handled in batches (one query or transaction for many jobs,
  // docs/performance.md): a job waiting in a batch holds no connection, so these two workers
  // take BATCHED times as many jobs at once as the others.
  const outbound = new Worker<OutboundJob, string>(OUTBOUND, delivery.process, {
    connection,
    prefix: queues.prefix,
    concurrency: opts.concurrency * BATCHED,
  });
  const reminders = new Worker<ReminderJob, string>(REMINDERS, reminderProcessor(services, queues, delivery.dispatch, (opts.concurrency * BATCHED) / 2, 2), {
    connection,
    prefix: queues.prefix,
    concurrency: opts.concurrency * BATCHED,
  });
  const digests = new Worker<DigestJob, string>(DIGESTS, digestProcessor(services, delivery.dispatch), {
    connection,
    prefix: queues.prefix,
    concurrency: Math.min(4, opts.concurrency),
  });
  for (const w of [...inbound, outbound, reminders, digests]) w.on('error', onError);
  outbound.on('failed', (job, err) => {
    if (job) services.logger.warn({ outboxId: job.data.outboxId, attempts: job.attemptsMade, err: err.message }, 'delivery attempt failed');
  });
  return { workers: [...inbound, outbound, reminders, digests], delivery };
}
