/**
 * The ingress: where adapters' events wait between the platform's acknowledgement and the
 * `inbound` queue. A web process appends each event to a Redis list (one `RPUSH` for the events
 * of a turn of the event loop: a few microseconds each, where a BullMQ `addBulk` costs some 80,
 * docs/performance.md), and the pumps of the worker processes move them into the `inbound`
 * queue in bulk: one job for each run of up to {@link INBOUND_EVENTS_PER_JOB} events.
 *
 * Nothing is lost between the two: a pump first moves the events it takes, atomically, to a
 * list of its own (`ingress:taken:<pump>`), adds their jobs, and only then deletes that list
 * (sent with its next wait, which saves a round trip per batch, docs/performance.md). A pump
 * holds a lease while it lives and is listed in a set of pumps; the taken list of a listed
 * pump whose lease has expired (a killed process) is put back at the head of the ingress by any
 * other pump. An event added twice that way is handled once all the same: its key is claimed
 * in PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { FLOOD_TTL_SECONDS, RANK_FUNCTION, floodMinute } from '../core/pipeline.js';
import type { InboundEvent } from '../core/types.js';
import { INBOUND_EVENTS_PER_JOB, type Queues } from './queues.js';

/** Most events a pump moves at once. */
const PUMP_BATCH = 500;
/** How long a pump's lease lasts without renewal (ms); it renews it every third of that. */
const LEASE_MS = 30_000;
/** How long a pump blocks waiting for the first event (s): also how soon it sees a stop. */
const BLOCK_SECONDS = 1;

/** Keys of the ingress under a prefix. */
export function ingressKeys(prefix: string) {
  return {
    list: `${prefix}:ingress`,
    taken: (pump: string) => `${prefix}:ingress:taken:${pump}`,
    lease: (pump: string) => `${prefix}:ingress:pump:${pump}`,
    pumps: `${prefix}:ingress:pumps`,
  };
}

/** Appends events to the ingress, in order, in one command; resolves once Redis has them. */
export async function pushIngress(redis: Redis, prefix: string, events: InboundEvent[]): Promise<void> {
  if (events.length === 0) return;
  await redis.rpush(ingressKeys(prefix).list, ...events.map((e) => JSON.stringify(e)));
}

/** Events waiting in the ingress (for metrics). */
export function ingressLength(redis: Redis, prefix: string): Promise<number> {
  return redis.llen(ingressKeys(prefix).list);
}

/**
 * Moves up to ARGV[1] more events (none for 0) from the ingress (KEYS[1]) to a pump's taken
 * list (KEYS[2]); returns the whole taken list, and each entry's rank among its sender's events
 * of the minute (the flood guard's count, {@link RANK_FUNCTION}), or 0 for an entry the script
 * cannot read: not an event, or JSON that Redis's cjson refuses (a lone surrogate's escape, as
 * `JSON.stringify` writes a broken emoji); the worker ranks a job with a 0 itself. The pump adds
 * what the list holds, not what a call returned: a command resent by ioredis after a
 * reconnection may have moved more than its reply said; ranking again, within the minute, what
 * was ranked gives the same ranks. ARGV[2..5]: the key prefix, the minute, the count's life (s),
 * the limit. The count's keys are built here, as `floodKey` builds them: not declared, so a Redis
 * Cluster could not run this (Pilote runs on one Redis, docs/deployment.md).
 */
const TAKE = `${RANK_FUNCTION}
local more = tonumber(ARGV[1])
if more > 0 then
  local items = redis.call('LRANGE', KEYS[1], 0, more - 1)
  if #items > 0 then
    redis.call('LTRIM', KEYS[1], #items, -1)
    redis.call('RPUSH', KEYS[2], unpack(items))
  end
end
local taken = redis.call('LRANGE', KEYS[2], 0, -1)
local ranks = {}
for i, item in ipairs(taken) do
  ranks[i] = 0
  local ok, e = pcall(cjson.decode, item)
  if ok and type(e) == 'table' and type(e.id) == 'string' and type(e.chat) == 'table' and type(e.sender) == 'table'
    and type(e.chat.platform) == 'string' and type(e.chat.workspace) == 'string' and type(e.sender.userId) == 'string' then
    local key = ARGV[2] .. ':rl:' .. e.chat.platform .. ':' .. e.chat.workspace .. ':' .. e.sender.userId .. ':' .. ARGV[3]
    ranks[i] = rank(key, e.id, ARGV[4], tonumber(ARGV[5]))
  end
end
return {taken, ranks}`;

/**
 * Deletes a pump's taken list (KEYS[1]) if it holds only the batch whose jobs were added:
 * ARGV[1] entries, the last of them ARGV[2]. The pump sends it with its next wait (`BLMOVE` into
 * the same list), right before it on the same connection; if the connection drops before either
 * reply, ioredis sends both again, and by then the wait may have moved an event in: a plain
 * `DEL` would then delete an event that has no job yet, this finds the list changed and leaves it.
 * If only the wait's reply was lost, ioredis sends the wait alone again; whatever that one
 * answers, the pump then reads the whole list, so an event the first wait moved in is added.
 */
const FORGET = `
if redis.call('LLEN', KEYS[1]) == tonumber(ARGV[1]) and redis.call('LINDEX', KEYS[1], -1) == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Unless pump ARGV[1]'s lease (KEYS[3]) lives: puts its taken events (KEYS[2]) back at the head
 * of the ingress (KEYS[1]), in order, and strikes it from the set of pumps (KEYS[4]).
 */
const GIVE_BACK = `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #items, 1, -1 do redis.call('LPUSH', KEYS[1], items[i]) end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
return #items`;

/** An entry of the ingress as an event, or undefined when it is not one (a foreign write). */
function readEvent(item: string): InboundEvent | undefined {
  try {
    const value = JSON.parse(item) as Partial<InboundEvent> | null;
    return value && typeof value === 'object' && typeof value.id === 'string' && value.id !== '' ? (value as InboundEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link IngressPump}. */
export interface PumpOptions {
  /** The process's shared connection (scripts, lease, the taken list). */
  redis: Redis;
  /** A connection of the pump's own, for the blocking wait. */
  blocking: Redis;
  queues: Queues;
  logger: Logger;
  /** Lease length (ms), shorter in tests. */
  leaseMs?: number;
  /** The flood guard's limit per sender and minute (`RATE_LIMIT_PER_MINUTE`). */
  rateLimit: number;
  /** The clock whose minute the events taken are counted in. */
  clock: () => Date;
}

/**
 * Moves events from the ingress into the `inbound` queue until stopped; see the module
 * comment. One per worker process.
 */
export class IngressPump {
  /** This pump's name in its keys. */
  readonly id = randomBytes(6).toString('hex');
  private readonly opts: PumpOptions;
  private readonly keys: ReturnType<typeof ingressKeys>;
  private readonly leaseMs: number;
  private running?: Promise<void>;
  private stopped = false;
  private renewer?: NodeJS.Timeout;
  /**
   * The batch whose jobs were added, while the taken list holds only it: its size and last
   * entry. It is deleted right before the next wait, sent with it ({@link FORGET}), or on stop.
   * Unset, the taken list may hold events whose jobs were not added (at start, after a failure,
   * after a wait that ended empty: a wait resent by ioredis may have moved an event its reply did
   * not show), so it is read first; a busy pump does not read it each time.
   */
  private added?: { count: number; last: string };

  constructor(opts: PumpOptions) {
    this.opts = opts;
    this.keys = ingressKeys(opts.queues.prefix);
    this.leaseMs = opts.leaseMs ?? LEASE_MS;
  }

  /** Takes the lease and starts moving events. */
  async start(): Promise<void> {
    await this.renew();
    this.renewer = setInterval(() => void this.renew().catch(() => undefined), this.leaseMs / 3);
    this.renewer.unref();
    this.running = this.loop();
  }

  /** Finishes the batch in hand, stops, and gives the lease back (events left wait for another pump). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewer);
    await this.running;
    const { redis } = this.opts;
    if (this.added) await redis.del(this.keys.taken(this.id)).then(() => (this.added = undefined), () => undefined);
    // A batch a failure left behind stays listed, for another pump to give back.
    if ((await redis.llen(this.keys.taken(this.id)).catch(() => 1)) === 0) await redis.srem(this.keys.pumps, this.id).catch(() => undefined);
    await redis.del(this.keys.lease(this.id)).catch(() => undefined);
  }

  /** Renews the lease and lists the pump again (another pump strikes it off once its lease lapsed). */
  private async renew(): Promise<void> {
    await this.opts.redis.multi().set(this.keys.lease(this.id), '1', 'PX', this.leaseMs).sadd(this.keys.pumps, this.id).exec();
  }

  private async loop(): Promise<void> {
    let lastRecovery = 0;
    while (!this.stopped) {
      try {
        if (Date.now() - lastRecovery >= this.leaseMs / 2) {
          lastRecovery = Date.now();
          await this.recover();
        }
        await this.pumpOnce();
      } catch (err) {
        if (this.stopped) break;
        this.opts.logger.warn({ err: (err as Error).message }, 'ingress pump failed; retrying in 1 s');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /**
   * Moves one batch: forgets the batch added last and waits (at most {@link BLOCK_SECONDS}) for
   * an event, the two sent together; takes up to a batch and adds their jobs. Returns how many were
   * moved. A batch left in the taken list by a failure is added again first.
   */
  async pumpOnce(): Promise<number> {
    const { blocking, queues } = this.opts;
    const taken = this.keys.taken(this.id);
    // A batch read back after a failure is ranked again: its events keep their ranks (in the
    // same minute; in the next one, they are counted in it).
    let [items, ranks]: [string[], number[]] = this.added ? [[], []] : await this.take(0);
    if (items.length === 0) {
      // The forget and the wait are sent together, without waiting for the first reply; Redis
      // answers them in order on this connection. Not as an ioredis pipeline: each pipeline
      // object gets a V8 hidden class of its own (its constructor defines an accessor), which
      // kept every one of them, and all it held, past the young generation (docs/performance.md).
      const forgotten = this.added ? blocking.eval(FORGET, 1, taken, this.added.count, this.added.last) : undefined;
      // Only a sign that events came: what is taken is what the taken list holds.
      const woke = blocking.blmove(this.keys.list, taken, 'LEFT', 'RIGHT', BLOCK_SECONDS);
      // Whatever became of the wait, the added batch is no longer assumed alone in the taken
      // list: after a failure the list is read again, and what it holds added again (an event
      // added twice is handled once, by its key).
      this.added = undefined;
      const [forgot, moved] = await Promise.allSettled([forgotten, woke]);
      if (forgot.status === 'rejected') throw forgot.reason;
      if (moved.status === 'rejected') throw moved.reason;
      if (moved.value === null) return 0;
      [items, ranks] = await this.take(PUMP_BATCH - 1);
    }
    const events: InboundEvent[] = [];
    const eventRanks: number[] = [];
    items.forEach((item, i) => {
      const event = readEvent(item);
      if (!event) this.opts.logger.error({ item: item.slice(0, 200) }, 'ingress: an unreadable entry was dropped');
      else {
        events.push(event);
        eventRanks.push(ranks[i] ?? 0);
      }
    });
    const jobs = [];
    for (let i = 0; i < events.length; i += INBOUND_EVENTS_PER_JOB) {
      jobs.push({ name: 'events', data: { events: events.slice(i, i + INBOUND_EVENTS_PER_JOB), ranks: eventRanks.slice(i, i + INBOUND_EVENTS_PER_JOB) } });
    }
    // One job, as between bursts, is added alone: `addBulk` goes through an ioredis pipeline
    // (see above), which costs this process twice the CPU of `add` and a pipeline's garbage.
    if (jobs.length === 1) await queues.inbound.add(jobs[0]!.name, jobs[0]!.data);
    else if (jobs.length > 1) await queues.inbound.addBulk(jobs);
    this.added = items.length > 0 ? { count: items.length, last: items.at(-1)! } : undefined;
    return items.length;
  }

  /** Moves up to `more` events to the taken list ({@link TAKE}); returns what it holds and their ranks. */
  private async take(more: number): Promise<[string[], number[]]> {
    const args = [more, this.opts.queues.prefix, floodMinute(this.opts.clock()), FLOOD_TTL_SECONDS, this.opts.rateLimit];
    return (await this.opts.redis.eval(TAKE, 2, this.keys.list, this.keys.taken(this.id), ...args)) as [string[], number[]];
  }

  /** Gives back the taken events of listed pumps whose lease expired; returns how many. */
  async recover(): Promise<number> {
    const { redis } = this.opts;
    let moved = 0;
    for (const pump of await redis.smembers(this.keys.pumps)) {
      if (pump === this.id) continue;
      const n = Number(await redis.eval(GIVE_BACK, 4, this.keys.list, this.keys.taken(pump), this.keys.lease(pump), this.keys.pumps, pump));
      if (n > 0) this.opts.logger.warn({ pump, events: n }, 'ingress: events taken by a pump that died were given back');
      if (n > 0) moved += n;
    }
    return moved;
  }
}
