/**
 * Composition of one Pilote process: services, queues, workers, adapters and the HTTP server,
 * according to its role (SPEC section 4: `all`, `web`, `worker`, `scheduler`).
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { buildRouter } from './commands/index.js';
import type { Config } from './config.js';
import type { Services } from './core/context.js';
import { pipeline } from './core/pipeline.js';
import type { Router } from './core/router.js';
import type { Adapter, InboundEvent, Platform } from './core/types.js';
import { createPrisma, type PrismaClient } from './db/client.js';
import { icalRoutes } from './http/ical.js';
import { startHttpServer } from './http/server.js';
import cron from 'node-cron';
import { enqueueDueDigests } from './jobs/digests.js';
import { LeaderElection } from './jobs/leader.js';
import { batcher } from './core/batch.js';
import { connectRedis } from './jobs/redis.js';
import { requeuePending } from './jobs/outbox.js';
import { reconcileReminders } from './jobs/reminders.js';
import { IngressPump, ingressLength, pushIngress } from './jobs/ingress.js';
import { createQueues, inboundEvents, type Queues } from './jobs/queues.js';
import { startWorkers } from './jobs/workers.js';
import type { Delivery } from './jobs/delivery.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { queryRaw } from './db/sql.js';
import { Prisma } from './generated/prisma/client.js';

/** Reminders due within this horizon always have their delayed job (re-created if missing). */
const RECONCILE_HORIZON_MS = 6 * 3600_000;

/** Raised by {@link App.submit} when the inbound queue cannot be reached. */
export class QueueUnavailableError extends Error {
  constructor(status: string) {
    super(`inbound queue unavailable (redis ${status})`);
    this.name = 'QueueUnavailableError';
  }
}

/** What a process does. */
export type ProcessRole = 'all' | 'web' | 'worker' | 'scheduler';

/** Options of {@link App.create}. */
export interface AppOptions {
  config: Config;
  role: ProcessRole;
  adapters: Adapter[];
  logger?: Logger;
  clock?: () => Date;
  /** Serve HTTP (default: for roles all and web). Port 0 picks a free one. */
  http?: boolean;
  /** A ready client (the demo's embedded PGlite); default: one on DATABASE_URL. */
  prisma?: PrismaClient;
}

/** One running Pilote process. */
export class App {
  readonly services: Services;
  readonly queues: Queues;
  readonly metrics: Metrics;
  readonly router: Router;
  readonly adapters: ReadonlyMap<Platform, Adapter>;
  readonly role: ProcessRole;
  /** Bound HTTP port once started, if serving HTTP. */
  httpPort?: number;
  private workers: Worker[] = [];
  private delivery?: Delivery;
  private closers: (() => Promise<unknown>)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private elections: LeaderElection[] = [];
  private readonly opts: AppOptions;

  private readonly producer: { redis: Redis; add: (event: InboundEvent) => Promise<void> };
  private pump?: { pump: IngressPump; blocking: Redis };

  private constructor(opts: AppOptions, services: Services, queues: Queues, metrics: Metrics, producer: App['producer']) {
    this.producer = producer;
    this.opts = opts;
    this.role = opts.role;
    this.services = services;
    this.queues = queues;
    this.metrics = metrics;
    this.router = buildRouter();
    this.adapters = new Map(opts.adapters.map((a) => [a.platform, a]));
  }

  /** Connects to PostgreSQL and Redis and builds the process (nothing runs until {@link start}). */
  static create(opts: AppOptions): App {
    const { config } = opts;
    const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
    let prisma = opts.prisma;
    if (!prisma) {
      if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set');
      // Connections are held by the inbound batches (three transactions at a time; a failed one's
      // events are replayed one transaction at a time), the outbound batches (up to four
      // queries), the reminder batches (two transactions) and the digests (up to four); the rest
      // is headroom for the scheduler, the HTTP routes and bursts.
      prisma = createPrisma(config.DATABASE_URL, { max: config.WORKER_CONCURRENCY * 2 + 4, prepared: config.DATABASE_PREPARED_STATEMENTS === 'on' });
    }
    // No auto-pipelining: on a connection that carries BullMQ's scripts, each pipeline ioredis
    // builds copies every script onto itself, which cost more than the writes it saved
    // (docs/performance.md).
    const redis = connectRedis(config, { maxRetriesPerRequest: null, lazyConnect: false });
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
    const queues = createQueues(redis, config.REDIS_PREFIX, (err) => logger.error({ err }, 'queue error'));
    const metrics = createMetrics(async () => ({ ...(await queues.counts()), ingress: { waiting: await ingressLength(redis, config.REDIS_PREFIX) } }));
    const services: Services = { config, prisma, redis, logger, clock: opts.clock ?? (() => new Date()) };
    // Adapters' events go through a connection that fails at once when Redis is away, instead of
    // waiting in ioredis' offline queue: the adapter can then answer or let the platform retry.
    // A retried push is harmless: the event becomes one job (its id), handled once.
    const producerRedis = connectRedis(config, { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: 3000 });
    producerRedis.on('error', () => undefined);
    const add = batcher<InboundEvent, void>({ max: 500, lingerMs: 0, parallel: 1 }, async (events) => {
      try {
        await pushIngress(producerRedis, config.REDIS_PREFIX, events);
      } catch (err) {
        throw new QueueUnavailableError(`${producerRedis.status}: ${(err as Error).message}`);
      }
      return events.map(() => undefined);
    });
    return new App(opts, services, queues, metrics, { redis: producerRedis, add });
  }

  private has(...roles: ProcessRole[]): boolean {
    return this.role === 'all' || roles.includes(this.role);
  }

  /**
   * Hands an adapter's event to the ingress (`src/jobs/ingress.ts`), from which the workers'
   * pumps move it into the `inbound` queue; resolves once it is in Redis (the adapter may then
   * acknowledge it to the platform). Events that arrive together are pushed together, one
   * Redis command for many (docs/performance.md). Its key in PostgreSQL makes a redelivery a
   * no-op.
   */
  readonly submit = async (event: InboundEvent): Promise<void> => {
    const { redis } = this.producer;
    if (redis.status !== 'ready' && !(await readyWithin(redis, 2000))) throw new QueueUnavailableError(redis.status);
    await this.producer.add(event);
  };

  /** Starts workers, adapters, the HTTP server and periodic tasks, by role. */
  async start(): Promise<void> {
    const { services, queues } = this;
    const { config, logger } = services;
    if (this.has('worker')) {
      for (const a of this.adapters.values()) await a.startSending();
      ({ workers: this.workers, delivery: this.delivery } = startWorkers({
        services,
        metrics: this.metrics,
        queues,
        connection: services.redis,
        pipeline: pipeline(this.router),
        adapters: this.adapters,
        concurrency: config.WORKER_CONCURRENCY,
      }));
      const blocking = connectRedis(config, { maxRetriesPerRequest: null });
      blocking.on('error', () => undefined);
      const pump = new IngressPump({ redis: services.redis, blocking, queues, logger, rateLimit: config.RATE_LIMIT_PER_MINUTE, clock: services.clock });
      await pump.start();
      this.pump = { pump, blocking };
    }
    if (this.has('web')) {
      for (const a of this.adapters.values()) {
        if (a.singleton) await this.receiveAsLeader(a);
        else await a.startReceiving(this.submit);
      }
    }
    if (this.opts.http ?? this.has('web')) {
      const routes = [...[...this.adapters.values()].flatMap((a) => a.routes?.() ?? []), ...icalRoutes(services)];
      const { server, port } = await startHttpServer({
        port: config.HTTP_PORT,
        routes,
        ready: {
          postgres: () => queryRaw(services.prisma, Prisma.sql`SELECT 1`),
          redis: () => services.redis.ping(),
        },
        metrics: async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() }),
        onError: (err) => logger.error({ err }, 'http handler failed'),
      });
      this.httpPort = port;
      this.closers.push(() => new Promise((resolve) => server.close(resolve)));
      logger.info({ port }, 'http server listening');
    }
    if (this.has('scheduler')) this.startScheduler();
    logger.info({ role: this.role, adapters: [...this.adapters.keys()] }, 'pilote started');
  }

  /**
   * Receives with a singleton adapter (Telegram long polling, Matrix /sync) only while this
   * process holds the adapter's Redis lease; the other processes keep serving HTTP and stand by.
   * The first attempt is awaited: a lone process is receiving when {@link start} resolves, and a
   * receiver that cannot start (a wrong token) fails the start as before.
   */
  private async receiveAsLeader(adapter: Adapter): Promise<void> {
    const { config, logger, redis } = this.services;
    const election = new LeaderElection({
      redis,
      key: `${config.REDIS_PREFIX}:leader:receive-${adapter.platform}`,
      ttlMs: config.LEADER_LEASE_SECONDS * 1000,
      name: `${adapter.platform} receiver`,
      logger,
      onElected: () => adapter.startReceiving(this.submit),
      onDeposed: () => adapter.stop(),
    });
    this.elections.push(election);
    await election.start();
  }

  /**
   * The scheduler role: it only enqueues, with deterministic job ids, so several schedulers
   * never double anything. Outbox sweep every 30 s; reminder reconciliation at start and every
   * `RECONCILE_INTERVAL_SECONDS` (5 minutes); digests at start and every minute (node-cron).
   */
  private startScheduler(): void {
    const { services, queues } = this;
    const { logger, config } = services;
    const every = (ms: number, name: string, fn: () => Promise<unknown>) => {
      const run = () => void fn().catch((err) => logger.warn({ err }, `${name} failed`));
      this.timers.push(setInterval(run, ms).unref());
      run();
    };
    every(30_000, 'outbox sweep', () => requeuePending(services.prisma, queues, services.clock()));
    every(config.RECONCILE_INTERVAL_SECONDS * 1000, 'reminder reconciliation', () =>
      reconcileReminders(services, queues, RECONCILE_HORIZON_MS, config.LATE_SUMMARY_HOURS * 3600_000),
    );
    const scheduleDigests = () => {
      enqueueDueDigests(services, queues, services.clock()).catch((err) => logger.warn({ err }, 'digest scheduling failed'));
    };
    const digests = cron.schedule('* * * * *', scheduleDigests);
    this.closers.push(async () => digests.stop());
    // At start too: a digest due while no scheduler ran goes out now, not at the next minute.
    scheduleDigests();
  }

  /**
   * Stops receiving, drains in-flight jobs (bounded by `graceMs`), closes connections.
   * Safe to call twice.
   */
  async stop(graceMs = 8000): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // Leaders stop receiving, then give their lease back so a standby takes over at once.
    await within(Promise.allSettled(this.elections.map((e) => e.stop())), 2 * CLOSE_STEP_MS);
    this.elections = [];
    await within(Promise.allSettled([...this.adapters.values()].map((a) => a.stop())), 2 * CLOSE_STEP_MS);
    const started = Date.now();
    // Events still in the ingress wait there for another pump, or for the next start.
    if (this.pump) {
      await within(this.pump.pump.stop(), 2 * CLOSE_STEP_MS);
      this.pump.blocking.disconnect();
      this.pump = undefined;
    }
    const drain = Promise.allSettled(this.workers.map((w) => w.close()));
    const forced = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([drain, forced]);
    // Replies the workers were sending themselves (no job holds them) get the rest of the grace.
    await this.delivery?.idle(Math.max(0, graceMs - (Date.now() - started)));
    // BullMQ's close can wait forever on a connection that came back from an outage: each step
    // below gets a bounded time, then the connections are cut anyway.
    await within(Promise.allSettled(this.workers.map((w) => w.close(true))), CLOSE_STEP_MS);
    this.workers = [];
    await within(Promise.allSettled(this.closers.map((c) => c())), CLOSE_STEP_MS);
    this.closers = [];
    await within(this.queues.close().catch(() => undefined), CLOSE_STEP_MS);
    this.producer.redis.disconnect();
    await within(this.services.prisma.$disconnect().catch(() => undefined), CLOSE_STEP_MS);
    this.services.redis.disconnect();
  }

  /**
   * Resolves once the event was handled (its key claimed) or its job failed for good, and every
   * message it produced left the outbox (sent or failed), or after `timeoutMs`. Used by the
   * console to print replies in order. Only the 100 newest failed jobs are looked through: an
   * event whose job failed before those waits out `timeoutMs`.
   */
  async settle(eventId: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let checkedFailed = 0;
    while (Date.now() < deadline) {
      // Until a pump moves it, the event has no job yet: only its claimed key says it is done.
      if (await this.services.prisma.handledEvent.findUnique({ where: { key: eventId }, select: { key: true } })) break;
      // Jobs fail for good rarely (a retry waits as delayed): the failed ones are looked through now and then.
      if (Date.now() - checkedFailed >= 200) {
        checkedFailed = Date.now();
        const failed = await this.queues.inbound.getFailed(0, 99);
        if (failed.some((job) => inboundEvents(job.data).some((e) => e.id === eventId))) break;
      }
      await sleep(10);
    }
    while (Date.now() < deadline) {
      const pending = await this.services.prisma.outboxMessage.count({ where: { sourceEventKey: eventId, status: 'PENDING' } });
      if (pending === 0) return;
      await sleep(10);
    }
  }
}

/** The longest one step of {@link App.stop} after the drain may take (ms). */
const CLOSE_STEP_MS = 1500;

/** Waits for `p`, but no longer than `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Whether a Redis connection is (or becomes) ready within `ms`. */
function readyWithin(redis: Redis, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
