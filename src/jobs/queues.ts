/**
 * Queue names, typed payloads and the factory for BullMQ queues. Jobs carry ids, not data
 * (STYLE idea 6), except `inbound` whose payload is the normalised platform events themselves.
 */
import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';
import type { InboundEvent } from '../core/types.js';

/** Queue of normalised platform events. */
export const INBOUND = 'inbound';
/** Queue of outbox rows to deliver. */
export const OUTBOUND = 'outbound';

/** Queue of reminder firings (delayed jobs, id `reminder-<id>-<epoch ms>`). */
export const REMINDERS = 'reminders';
/** Queue of digests to build and send (id `digest-<member|room>-<id>-<local date>`). */
export const DIGESTS = 'digests';

/** Payload of a `reminders` job: which reminder, and the `nextAt` it was scheduled for. */
export interface ReminderJob {
  reminderId: string;
  at: number;
}
/** Payload of a `digests` job. */
export interface DigestJob {
  kind: 'member' | 'room';
  /** Member id, or commune id for the council-room digest. */
  id: string;
  /** Local date (YYYY-MM-DD) the digest is for. */
  day: string;
}

/**
 * Payload of an `inbound` job: events in the order they reached the ingress, at most
 * {@link INBOUND_EVENTS_PER_JOB}. One job for several events saves the queue's round trips per
 * event when they come fast; each event is still handled once, by its key in PostgreSQL.
 */
export interface InboundJob {
  events: InboundEvent[];
  /**
   * Each event's rank among its sender's events of the minute, counted by the pump that took it
   * (the flood guard, `rankEvents` in src/core/pipeline.ts); 0 for an event its script could not
   * read. Absent from the jobs of older versions.
   */
  ranks?: number[];
}

/**
 * The events of an `inbound` job. A job added before jobs held several events has one event as
 * its whole payload: it is read too, so that the jobs an older version left in the queue are
 * handled after a roll (docs/deployment.md). The worker and `settle` read a payload only through it.
 */
export function inboundEvents(data: InboundJob | InboundEvent): InboundEvent[] {
  return 'events' in data && Array.isArray(data.events) ? data.events : [data as InboundEvent];
}

/**
 * The ranks an `inbound` job carries for its events, or undefined when it does not carry one
 * for each (an older version's job, or an event the pump could not rank): its events are then
 * ranked by the worker.
 */
export function inboundRanks(data: InboundJob | InboundEvent): number[] | undefined {
  const events = inboundEvents(data);
  const ranks = 'ranks' in data && Array.isArray(data.ranks) ? data.ranks : [];
  return ranks.length === events.length && ranks.every((r) => Number.isInteger(r) && r >= 1) ? ranks : undefined;
}

/** Most events in one `inbound` job: as many as one inbound transaction handles (docs/performance.md). */
export const INBOUND_EVENTS_PER_JOB = 16;
/** Payload of an `outbound` job. */
export interface OutboundJob {
  outboxId: string;
  /** Send slot reserved by the per-chat pacing (epoch ms), once reserved. */
  slot?: number;
}

/** Retry policy of deliveries: exponential backoff from 1 s, 8 tries. */
export const OUTBOUND_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * Inbound retry policy. Completed jobs are kept an hour (at most 1,000) to look at; a platform's
 * redelivery is recognised by the event's key in PostgreSQL, not by the queue.
 */
export const INBOUND_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Scheduled jobs: a few tries, kept a day so a second scheduler's add finds the id. */
export const SCHEDULED_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 200_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The queues of one process. */
export interface Queues {
  inbound: Queue<InboundJob>;
  outbound: Queue<OutboundJob>;
  reminders: Queue<ReminderJob>;
  digests: Queue<DigestJob>;
  prefix: string;
  connection: ConnectionOptions;
  /** Job counts per queue, for metrics. */
  counts(): Promise<Record<string, Record<string, number>>>;
  close(): Promise<void>;
}

/** Opens the queues on a Redis connection under a key prefix. */
export function createQueues(connection: ConnectionOptions, prefix: string, onError: (err: Error) => void): Queues {
  const inbound = new Queue<InboundJob>(INBOUND, { connection, prefix, defaultJobOptions: INBOUND_JOB_OPTIONS });
  const outbound = new Queue<OutboundJob>(OUTBOUND, { connection, prefix, defaultJobOptions: OUTBOUND_JOB_OPTIONS });
  const reminders = new Queue<ReminderJob>(REMINDERS, { connection, prefix, defaultJobOptions: SCHEDULED_JOB_OPTIONS });
  const digests = new Queue<DigestJob>(DIGESTS, { connection, prefix, defaultJobOptions: SCHEDULED_JOB_OPTIONS });
  const all = [inbound, outbound, reminders, digests] as Queue[];
  for (const q of all) q.on('error', onError);
  return {
    inbound,
    outbound,
    reminders,
    digests,
    prefix,
    connection,
    async counts() {
      const entries = await Promise.all(
        all.map(async (q) => [q.name, await q.getJobCounts('waiting', 'active', 'delayed', 'failed')] as const),
      );
      return Object.fromEntries(entries);
    },
    async close() {
      await Promise.all(all.map((q) => q.close()));
    },
  };
}
