/** The ingress list and its pumps (src/jobs/ingress.ts), against the real Redis. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/core/context.js';
import { rankEvents } from '../../src/core/pipeline.js';
import type { InboundEvent } from '../../src/core/types.js';
import { IngressPump, ingressKeys, pushIngress } from '../../src/jobs/ingress.js';
import { createQueues, INBOUND_EVENTS_PER_JOB, type Queues } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/logger.js';
import { consoleEvent } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger('silent');
/** The pumps' clock: the minute their flood counts are kept in. */
const NOW = new Date('2026-12-01T09:00:00Z');

describe('the ingress', () => {
  let redis: Redis;
  let queues: Queues;
  let keys: ReturnType<typeof ingressKeys>;
  const blocking: Redis[] = [];
  const pumps: IngressPump[] = [];
  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queues = createQueues(redis, `t-ingress-${randomBytes(3).toString('hex')}`, () => undefined);
    keys = ingressKeys(queues.prefix);
  });
  afterEach(async () => {
    await Promise.all(pumps.splice(0).map((p) => p.stop()));
    for (const b of blocking.splice(0)) b.disconnect();
    const left = await redis.keys(`${queues.prefix}:*`);
    if (left.length) await redis.del(...left);
  });
  afterAll(async () => {
    await queues.close();
    redis.disconnect();
  });

  let n = 0;
  const event = (text = 'tache Test'): InboundEvent => consoleEvent(`console-ingress-${++n}`, 'maire', text, new Date());
  const pump = (leaseMs?: number, on: Queues = queues, rateLimit = 1000) => {
    const b = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    blocking.push(b);
    const p = new IngressPump({ redis, blocking: b, queues: on, logger, rateLimit, clock: () => NOW, ...(leaseMs ? { leaseMs } : {}) });
    pumps.push(p);
    return p;
  };
  /** The events of the waiting inbound jobs, job by job, oldest job first. */
  const waitingJobs = async () => (await queues.inbound.getWaiting()).map((j) => j.data.events.map((e) => e.id));
  const waitingIds = async () => (await waitingJobs()).flat();
  /** The ranks the waiting inbound jobs carry, job by job. */
  const waitingRanks = async () => (await queues.inbound.getWaiting()).map((j) => j.data.ranks);

  it(`moves events into the inbound queue in order, up to ${INBOUND_EVENTS_PER_JOB} per job`, async () => {
    const events = Array.from({ length: INBOUND_EVENTS_PER_JOB + 2 }, (_, i) => event(`tache ${i}`));
    await pushIngress(redis, queues.prefix, events.slice(0, 4));
    await pushIngress(redis, queues.prefix, events.slice(4));
    await pump().start();
    await until('moved', async () => (await redis.llen(keys.list)) === 0 && (await queues.inbound.count()) === 2);
    expect(await waitingJobs()).toEqual([events.slice(0, INBOUND_EVENTS_PER_JOB).map((e) => e.id), events.slice(INBOUND_EVENTS_PER_JOB).map((e) => e.id)]);
    expect((await queues.inbound.getWaiting()).flatMap((j) => j.data.events)).toContainEqual(events[3]);
    await new Promise((r) => setTimeout(r, 100));
    expect(await queues.inbound.count()).toBe(2);
    expect(await redis.keys(keys.taken('*'))).toEqual([]);
  });

  it('adds a batch it had taken before a failure first, then takes more', async () => {
    const p = pump();
    const [held, next] = [event(), event()];
    await redis.rpush(keys.taken(p.id), JSON.stringify(held));
    await pushIngress(redis, queues.prefix, [next!]);
    expect(await p.pumpOnce()).toBe(1);
    expect(await waitingIds()).toEqual([held!.id]);
    expect(await p.pumpOnce()).toBe(1);
    expect(await waitingIds()).toEqual([held!.id, next!.id]);
    // Stopping forgets the batch added last.
    await p.stop();
    expect(await redis.exists(keys.taken(p.id))).toBe(0);
  });

  it('keeps an event that a wait sent again after a lost connection moved in behind the batch it forgot', async () => {
    const p = pump();
    const [x, e] = [event(), event()];
    await pushIngress(redis, queues.prefix, [x!]);
    expect(await p.pumpOnce()).toBe(1);
    // Redis ran the forget and the wait, which moved e in; both replies were lost with the
    // connection, and ioredis sends both again.
    await redis.del(keys.taken(p.id));
    await redis.rpush(keys.taken(p.id), JSON.stringify(e));
    // The forget sent again finds the list changed and leaves it; the wait ends empty.
    expect(await p.pumpOnce()).toBe(0);
    expect(await p.pumpOnce()).toBe(1);
    expect(await waitingIds()).toEqual([x!.id, e!.id]);
  });

  it('forgets the batch it added right before its next wait, sent with it, and never adds it twice', async () => {
    const p = pump();
    const [first, second] = [event(), event()];
    await pushIngress(redis, queues.prefix, [first!]);
    expect(await p.pumpOnce()).toBe(1);
    // Added, and still in the taken list until the next wait.
    expect(await redis.lrange(keys.taken(p.id), 0, -1)).toEqual([JSON.stringify(first)]);
    await pushIngress(redis, queues.prefix, [second!]);
    expect(await p.pumpOnce()).toBe(1);
    expect(await waitingJobs()).toEqual([[first!.id], [second!.id]]);
    expect(await redis.lrange(keys.taken(p.id), 0, -1)).toEqual([JSON.stringify(second)]);
    // A wait that ends empty forgets it too.
    expect(await p.pumpOnce()).toBe(0);
    expect(await redis.exists(keys.taken(p.id))).toBe(0);
  });

  it('gives back, at the head and in order, what a dead pump had taken, and nothing a live pump holds', async () => {
    const [a, b, c, d] = [event(), event(), event(), event()];
    await pushIngress(redis, queues.prefix, [c!]);
    // A pump that died between taking and adding: listed, its taken list, no lease.
    await redis.sadd(keys.pumps, 'dead', 'alive');
    await redis.rpush(keys.taken('dead'), JSON.stringify(a), JSON.stringify(b));
    // A live pump in the middle of a batch.
    await redis.set(keys.lease('alive'), '1', 'PX', 30_000);
    await redis.rpush(keys.taken('alive'), JSON.stringify(d));
    const p = pump();
    expect(await p.recover()).toBe(2);
    expect((await redis.lrange(keys.list, 0, -1)).map((x) => (JSON.parse(x) as InboundEvent).id)).toEqual([a!.id, b!.id, c!.id]);
    expect(await redis.exists(keys.taken('dead'))).toBe(0);
    expect(await redis.llen(keys.taken('alive'))).toBe(1);
    expect((await redis.smembers(keys.pumps)).sort()).toEqual(['alive']);
  });

  it.each([
    ['one job, added alone', 2, 'add'],
    ['two jobs, added together', INBOUND_EVENTS_PER_JOB + 1, 'addBulk'],
  ] as const)('keeps what it took when adding the jobs fails, and adds it on the next round (%s)', async (_, count, method) => {
    const events = Array.from({ length: count }, () => event());
    await pushIngress(redis, queues.prefix, events);
    // Redis refuses the jobs once (a failover, a full memory): the real queue otherwise. One job
    // goes through `add`, several through `addBulk`.
    let refusals = 1;
    const calls: string[] = [];
    const refusing = new Proxy(queues.inbound, {
      get: (target, key) => {
        const real = Reflect.get(target, key) as unknown;
        if ((key !== 'add' && key !== 'addBulk') || typeof real !== 'function') return real;
        return (...args: unknown[]) => {
          calls.push(key);
          return refusals-- > 0 ? Promise.reject(new Error('READONLY You can\'t write against a read only replica.')) : (real as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const p = pump(undefined, { ...queues, inbound: refusing });
    await expect(p.pumpOnce()).rejects.toThrow(/READONLY/);
    expect(await redis.llen(keys.taken(p.id))).toBe(count);
    expect(await waitingIds()).toEqual([]);
    expect(await p.pumpOnce()).toBe(count);
    expect(calls).toEqual([method, method]);
    expect(await waitingIds()).toEqual(events.map((e) => e.id));
    // Ranked when first taken, and again when read back: counted once all the same.
    const ranks = events.map((_e, i) => i + 1);
    expect(await waitingRanks()).toEqual([ranks.slice(0, INBOUND_EVENTS_PER_JOB), ranks.slice(INBOUND_EVENTS_PER_JOB)].filter((r) => r.length));
    await p.stop();
    expect(await redis.exists(keys.taken(p.id))).toBe(0);
  });

  it('lists itself again when another pump struck it off (its lease had lapsed during a stall)', async () => {
    const p = pump(300);
    await p.start();
    await redis.srem(keys.pumps, p.id);
    await until('listed again', async () => (await redis.sismember(keys.pumps, p.id)) === 1, 2000);
  });

  it('recovers from a pump killed mid-batch: once its lease lapses, another one moves its events, once', async () => {
    const events = [event(), event()];
    // The killed pump was listed, took them, and never added them; its lease runs out.
    await redis.sadd(keys.pumps, 'killed');
    await redis.set(keys.lease('killed'), '1', 'PX', 400);
    await redis.rpush(keys.taken('killed'), ...events.map((e) => JSON.stringify(e)));
    const other = pump(300);
    expect(await other.recover()).toBe(0);
    await other.start();
    await until('moved by the other pump', async () => (await waitingIds()).length === 2, 5000);
    expect(await waitingIds()).toEqual(events.map((e) => e.id));
    expect(await redis.keys(keys.taken('*'))).toEqual([]);
  });

  it('drops an entry it cannot read, with a log, and moves the rest', async () => {
    const good = event();
    await redis.rpush(keys.list, '{not json', 'null', '{"text":"sans id"}', JSON.stringify(good));
    const p = pump();
    expect(await p.pumpOnce()).toBe(4);
    expect(await waitingIds()).toEqual([good.id]);
    expect(await waitingRanks()).toEqual([[1]]);
  });

  it("ranks each event among its sender's events of the minute as it takes it, in the count rankEvents keeps", async () => {
    const at = NOW;
    const [a1, a2, b1, a3] = [
      consoleEvent(`rank-${++n}`, 'maire', 'tache A1', at),
      consoleEvent(`rank-${++n}`, 'maire', 'tache A2', at),
      consoleEvent(`rank-${++n}`, 'adjoint', 'tache B1', at),
      consoleEvent(`rank-${++n}`, 'maire', 'tache A3', at),
    ];
    // a1 comes twice (a platform's redelivery): it keeps its rank.
    await pushIngress(redis, queues.prefix, [a1!, a2!, b1!, a3!, a1!]);
    expect(await pump().pumpOnce()).toBe(5);
    expect(await waitingRanks()).toEqual([[1, 2, 1, 3, 1]]);
    // The same hashes as the worker's own ranking (for jobs without ranks): the next event of
    // the minute is the fourth, and one counted already keeps its rank.
    const services = { redis, config: { REDIS_PREFIX: queues.prefix, RATE_LIMIT_PER_MINUTE: 1000 }, clock: () => at } as unknown as Services;
    expect(await rankEvents(services, [consoleEvent(`rank-${++n}`, 'maire', 'tache A4', at), a2!, b1!])).toEqual([4, 2, 1]);
  });

  it('gives rank 0 to an event its script cannot read (a lone surrogate), for the worker to rank', async () => {
    const [broken, fine] = [consoleEvent(`rank-${++n}`, 'maire', 'tache Fête \ud83d', NOW), consoleEvent(`rank-${++n}`, 'maire', 'tache Fête', NOW)];
    await pushIngress(redis, queues.prefix, [broken, fine]);
    expect(await pump().pumpOnce()).toBe(2);
    expect(await waitingIds()).toEqual([broken.id, fine.id]);
    expect(await waitingRanks()).toEqual([[0, 1]]);
  });

  it('stops counting a flood past the limit and the event answered', async () => {
    const at = NOW;
    const flood = [1, 2, 3, 4, 5].map((i) => consoleEvent(`flood-${++n}`, 'conseillere', `tache ${i}`, at));
    await pushIngress(redis, queues.prefix, flood);
    expect(await pump(undefined, queues, 2).pumpOnce()).toBe(5);
    // Two let through, the third answered, the rest all rank past it and are not remembered.
    expect(await waitingRanks()).toEqual([[1, 2, 3, 4, 4]]);
    expect(await redis.hlen(`${queues.prefix}:rl:console::conseillere:${Math.floor(at.getTime() / 60_000)}`)).toBe(3);
  });

  it('stops while it waits for events, and gives its lease back', async () => {
    const p = pump();
    await p.start();
    expect(await redis.exists(keys.lease(p.id))).toBe(1);
    expect(await redis.smembers(keys.pumps)).toEqual([p.id]);
    await p.stop();
    pumps.splice(pumps.indexOf(p), 1);
    expect(await redis.exists(keys.lease(p.id))).toBe(0);
    expect(await redis.smembers(keys.pumps)).toEqual([]);
  });
});
