/**
 * Queue names, typed payloads and the factory for BullMQ queues. Jobs carry ids, not data
 * (STYLE idea 6), except `inbound` whose payload is the normalised platform event itself.
 */
import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';
import type { InboundEvent } from '../core/types.js';

/** Queue of normalised platform events. */
export const INBOUND = 'inbound';
/** Queue of outbox rows to deliver. */
export const OUTBOUND = 'outbound';

/** Payload of an `inbound` job. */
export type InboundJob = InboundEvent;
/** Payload of an `outbound` job. */
export interface OutboundJob {
  outboxId: string;
}

/** Retry policy of deliveries: exponential backoff from 1 s, 8 tries. */
export const OUTBOUND_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Inbound jobs stay a day so a platform redelivery finds its id (Postgres dedupes anyway). */
export const INBOUND_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The queues of one process. */
export interface Queues {
  inbound: Queue<InboundJob>;
  outbound: Queue<OutboundJob>;
  prefix: string;
  connection: ConnectionOptions;
  /** Job counts per queue, for metrics. */
  counts(): Promise<Record<string, Record<string, number>>>;
  close(): Promise<void>;
}

/** BullMQ job ids may not contain `:`; platform ids are mapped to a safe alphabet. */
export function safeJobId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Opens the queues on a Redis connection under a key prefix. */
export function createQueues(connection: ConnectionOptions, prefix: string, onError: (err: Error) => void): Queues {
  const inbound = new Queue<InboundJob>(INBOUND, { connection, prefix, defaultJobOptions: INBOUND_JOB_OPTIONS });
  const outbound = new Queue<OutboundJob>(OUTBOUND, { connection, prefix, defaultJobOptions: OUTBOUND_JOB_OPTIONS });
  const all = [inbound, outbound] as Queue[];
  for (const q of all) q.on('error', onError);
  return {
    inbound,
    outbound,
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
