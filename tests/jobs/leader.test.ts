/** The Redis lease and leader election of src/jobs/leader.ts, against the real Redis. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease, LeaderElection, releaseLease, renewLease } from '../../src/jobs/leader.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `t-leader-${randomBytes(3).toString('hex')}`;
let n = 0;
const newKey = () => `${prefix}:leader:${++n}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
  return Date.now() - t0;
}

/** A contender with its own connection and a journal of what it did, timestamped. */
function contender(key: string, ttlMs: number, journal: string[], name: string, fail = false) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const state = { running: false, elected: 0, deposed: 0 };
  const election = new LeaderElection({
    redis,
    key,
    ttlMs,
    onElected: async () => {
      journal.push(`${name}+`);
      state.elected++;
      if (fail) throw new Error('cannot start');
      state.running = true;
    },
    onDeposed: async () => {
      journal.push(`${name}-`);
      state.deposed++;
      state.running = false;
    },
  });
  return { redis, election, state };
}

describe('Redis lease', () => {
  let redis: Redis;
  const opened: { redis: Redis; election: LeaderElection }[] = [];
  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) {
      await c.election.stop().catch(() => undefined);
      c.redis.disconnect();
    }
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('is taken by one holder, renewed only by it, and free again once it expires or is released', async () => {
    const key = newKey();
    expect(await acquireLease(redis, key, 'a', 1000)).toBe(true);
    expect(await acquireLease(redis, key, 'b', 1000)).toBe(false);
    // Taking it again as its holder (an attempt whose answer was lost) keeps it.
    expect(await acquireLease(redis, key, 'a', 1000)).toBe(true);
    expect(await renewLease(redis, key, 'b', 1000)).toBe(false);
    expect(await releaseLease(redis, key, 'b')).toBe(false);
    await sleep(600);
    expect(await renewLease(redis, key, 'a', 1000)).toBe(true);
    await sleep(600);
    // Renewed 600 ms ago for 1,000 ms: still a's (without the renewal it would have expired).
    expect(await acquireLease(redis, key, 'b', 1000)).toBe(false);
    // a stops renewing (it died): b gets it once the ttl ran out, and a cannot renew any more.
    await sleep(1000);
    expect(await acquireLease(redis, key, 'b', 1000)).toBe(true);
    expect(await redis.get(key)).toBe('b');
    expect(await renewLease(redis, key, 'a', 1000)).toBe(false);
    expect(await releaseLease(redis, key, 'b')).toBe(true);
    expect(await redis.exists(key)).toBe(0);
  });

  it('elects exactly one of two contenders; the other takes over at once when the leader stops', async () => {
    const key = newKey();
    const journal: string[] = [];
    const a = contender(key, 900, journal, 'a');
    const b = contender(key, 900, journal, 'b');
    opened.push(a, b);
    await Promise.all([a.election.start(), b.election.start()]);
    expect(journal).toHaveLength(1);
    const [leader, standby] = a.election.isLeader ? [a, b] : [b, a];
    expect(leader.election.isLeader).toBe(true);
    expect(standby.election.isLeader).toBe(false);
    expect(await redis.get(key)).toBe(leader.election.holder);
    // Several renewals later, still the same single leader.
    await sleep(1500);
    expect(journal).toHaveLength(1);
    expect(standby.state.elected).toBe(0);

    const t0 = Date.now();
    await leader.election.stop();
    expect(leader.state.running).toBe(false);
    await waitFor(() => standby.state.running, 2000, 'the standby to take over');
    // It released the lease: the standby's next try (every ttl/3) gets it.
    expect(Date.now() - t0).toBeLessThan(900);
    expect(journal.map((j) => j.slice(1))).toEqual(['+', '-', '+']);
  });

  it('the leader that dies is replaced within about one ttl, and one cut off from Redis stops before its successor starts', async () => {
    const key = newKey();
    const ttl = 1500;
    const journal: string[] = [];
    const a = contender(key, ttl, journal, 'a');
    opened.push(a);
    await a.election.start();
    expect(a.election.isLeader).toBe(true);
    const b = contender(key, ttl, journal, 'b');
    opened.push(b);
    await b.election.start();
    expect(b.election.isLeader).toBe(false);

    // The leader loses Redis (a partition, or a process that froze): it can no longer renew.
    const t0 = Date.now();
    a.redis.disconnect();
    await waitFor(() => b.state.running, 3 * ttl, 'the standby to take over');
    const took = Date.now() - t0;
    // The lease runs out at most one ttl after the last renewal, then the standby's next try (ttl/3) gets it.
    expect(took).toBeLessThan(ttl + ttl / 3 + 700);
    expect(a.state.running).toBe(false);
    // a stepped down before b started: never two leaders at once.
    expect(journal).toEqual(['a+', 'a-', 'b+']);
    expect(await redis.get(key)).toBe(b.election.holder);
  });

  it('steps down at once when the lease is taken from it', async () => {
    const key = newKey();
    const journal: string[] = [];
    const a = contender(key, 600, journal, 'a');
    opened.push(a);
    await a.election.start();
    await redis.set(key, 'someone-else', 'PX', 5000);
    await waitFor(() => !a.state.running, 1000, 'the leader to step down');
    expect(journal).toEqual(['a+', 'a-']);
    // It keeps contending, and leads again once the other holder lets go.
    await redis.del(key);
    await waitFor(() => a.state.running, 1000, 'the leader to come back');
    expect(journal).toEqual(['a+', 'a-', 'a+']);
  });

  it('gives the lease back when the work cannot start, and the first failure fails start()', async () => {
    const key = newKey();
    const journal: string[] = [];
    const a = contender(key, 600, journal, 'a', true);
    opened.push(a);
    await expect(a.election.start()).rejects.toThrow('cannot start');
    expect(await redis.exists(key)).toBe(0);
    expect(a.election.isLeader).toBe(false);
    const b = contender(key, 600, journal, 'b');
    opened.push(b);
    await b.election.start();
    expect(b.election.isLeader).toBe(true);
  });
});
