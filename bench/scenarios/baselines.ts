/**
 * Raw baselines, measured in the same run as Pilote's figures: a bare 2-insert PostgreSQL
 * transaction over an 8-connection pool, BullMQ's bare add (one by one and in bulk) and
 * process rates (concurrency 1 and 10), a bare two-hop queue pipeline's latency at 200/s
 * (the skeleton of a command), and a bare delayed job's lateness at 1,000/s (of a reminder).
 */
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { nowMs, percentile, sleep, steady } from '../lib/stats.js';

/** Connections of the bare pool (the app's is WORKER_CONCURRENCY + 2). */
export const POOL_SIZE = 8;

/** Creates the two small tables the bare transactions write to. */
export async function prepareBareTables(db: pg.Pool): Promise<void> {
  await db.query('CREATE TABLE IF NOT EXISTS bench_a (id bigserial PRIMARY KEY, v text NOT NULL, at timestamptz NOT NULL DEFAULT now())');
  await db.query('CREATE TABLE IF NOT EXISTS bench_b (id bigserial PRIMARY KEY, a bigint NOT NULL, v text NOT NULL, at timestamptz NOT NULL DEFAULT now())');
}

/** Connection options BullMQ opens (and closes) its own connections with. */
export function redisOptions(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    maxRetriesPerRequest: null,
  };
}

/** One bare transaction: BEGIN, two INSERTs, COMMIT on a pooled connection; returns the first row's id. */
async function bareTx(db: pg.Pool, i: number): Promise<string> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string }>('INSERT INTO bench_a (v) VALUES ($1) RETURNING id', [`a${i}`]);
    await client.query('INSERT INTO bench_b (a, v) VALUES ($1, $2)', [rows[0]!.id, `b${i}`]);
    await client.query('COMMIT');
    return rows[0]!.id;
  } finally {
    client.release();
  }
}

/** Bare 2-insert transactions per second over {@link POOL_SIZE} connections, for `seconds`. */
export async function pgTxRate(db: pg.Pool, seconds: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: POOL_SIZE }, async () => {
      while (performance.now() < deadline) await bareTx(db, done++);
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** BullMQ adds per second, one awaited `add` at a time. */
export async function bullAddSingle(connection: Redis, prefix: string, n: number): Promise<number> {
  const q = new Queue(`bare-add-${Date.now()}`, { connection, prefix });
  const started = performance.now();
  for (let i = 0; i < n; i++) await q.add('job', { i });
  const rate = n / ((performance.now() - started) / 1000);
  await q.obliterate({ force: true });
  await q.close();
  return rate;
}

/** BullMQ adds per second with `addBulk` of 1,000 jobs. */
export async function bullAddBulk(connection: Redis, prefix: string, n: number): Promise<number> {
  const q = new Queue(`bare-bulk-${Date.now()}`, { connection, prefix });
  const started = performance.now();
  for (let i = 0; i < n; i += 1000) await q.addBulk(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ name: 'job', data: { i: i + k } })));
  const rate = n / ((performance.now() - started) / 1000);
  await q.obliterate({ force: true });
  await q.close();
  return rate;
}

/** Jobs processed per second by a no-op worker at `concurrency`, from a queue holding `n` jobs. */
export async function bullProcess(redisUrl: string, connection: Redis, prefix: string, n: number, concurrency: number): Promise<number> {
  const name = `bare-proc-${concurrency}-${Date.now()}`;
  const q = new Queue(name, { connection, prefix });
  for (let i = 0; i < n; i += 1000) await q.addBulk(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ name: 'job', data: { i: i + k } })));
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const started = performance.now();
  const worker = new Worker(name, async () => undefined, { connection: redisOptions(redisUrl), prefix, concurrency });
  worker.on('completed', () => ++done === n && finished());
  await all;
  const rate = n / ((performance.now() - started) / 1000);
  await worker.close();
  await q.obliterate({ force: true });
  await q.close();
  return rate;
}

/**
 * Latency (ms) of a bare two-hop pipeline at `rate`/s for `seconds`: add to queue A → worker
 * (concurrency 8) runs a 2-insert transaction and adds to queue B → worker (8) runs one UPDATE.
 */
export async function bareTwoHop(redisUrl: string, connection: Redis, prefix: string, db: pg.Pool, rate: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const tag = Date.now();
  const qa = new Queue(`bare-hop-a-${tag}`, { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  const qb = new Queue(`bare-hop-b-${tag}`, { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  const latencies: number[] = [];
  const total = Math.round(rate * seconds);
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const wa = new Worker(
    qa.name,
    async (job: Job<{ i: number; t: number }>) => {
      const id = await bareTx(db, job.data.i);
      await qb.add('b', { ...job.data, id });
    },
    { connection: redisOptions(redisUrl), prefix, concurrency: 8 },
  );
  const wb = new Worker(
    qb.name,
    async (job: Job<{ i: number; t: number; id: string }>) => {
      await db.query('UPDATE bench_a SET v = $1 WHERE id = $2', [`u${job.data.i}`, job.data.id]);
      latencies.push(nowMs() - job.data.t);
      if (latencies.length === total) finished();
    },
    { connection: redisOptions(redisUrl), prefix, concurrency: 8 },
  );
  await steady(rate, total, (i) => void qa.add('a', { i, t: nowMs() }));
  await Promise.race([all, sleep(30_000)]);
  await Promise.all([wa.close(), wb.close()]);
  await Promise.all([qa.obliterate({ force: true }), qb.obliterate({ force: true })]);
  await Promise.all([qa.close(), qb.close()]);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * Lateness (ms) of bare delayed jobs due at `rate`/s for `seconds` (a no-op worker at
 * concurrency 8): the raw cost of BullMQ's delayed set, the floor of a reminder's lateness.
 */
export async function bareDelayedLateness(redisUrl: string, connection: Redis, prefix: string, rate: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const name = `bare-delay-${Date.now()}`;
  const q = new Queue(name, { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  const total = Math.round(rate * seconds);
  const t0 = Date.now() + 1500;
  const spacing = 1000 / rate;
  for (let i = 0; i < total; i += 1000) {
    await q.addBulk(
      Array.from({ length: Math.min(1000, total - i) }, (_, k) => {
        const due = Math.round(t0 + (i + k) * spacing);
        return { name: 'job', data: { due }, opts: { delay: due - Date.now() } };
      }),
    );
  }
  const lateness: number[] = [];
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker(
    name,
    async (job: Job<{ due: number }>) => {
      lateness.push(Math.max(0, Date.now() - job.data.due));
      if (lateness.length === total) finished();
    },
    { connection: redisOptions(redisUrl), prefix, concurrency: 8 },
  );
  await Promise.race([all, sleep(seconds * 1000 + 30_000)]);
  await worker.close();
  await q.obliterate({ force: true });
  await q.close();
  return { p50: percentile(lateness, 50), p99: percentile(lateness, 99) };
}
