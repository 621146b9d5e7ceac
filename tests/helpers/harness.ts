/**
 * A whole Pilote process for a test file: its own PostgreSQL database and Redis key prefix,
 * the demo commune, and the console adapter driven line by line through the real queues.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { ConsoleAdapter } from '../../adapters/console/index.js';
import { App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Adapter, InboundEvent } from '../../src/core/types.js';
import type { PrismaClient } from '../../src/db/client.js';
import { ingressKeys } from '../../src/jobs/ingress.js';
import { inboundEvents } from '../../src/jobs/queues.js';
import { seedDemo, type DemoCommune, type DemoUser } from '../../src/db/seed.js';
import { createLogger } from '../../src/logger.js';
import { testDatabase } from './db.js';

/** `text` typed by console user `user` in their direct chat `chatId`, as platform event `id`. */
export function consoleEvent(id: string, user: string, text: string, at: Date, chatId = `direct-${user}`): InboundEvent {
  return { id, kind: 'message', chat: { platform: 'console', workspace: '', chatId, isDirect: true }, sender: { userId: user }, at: at.toISOString(), text, addressed: true };
}

/**
 * Ids of the events `app` has taken in so far: waiting in the ingress, moved by a pump and not
 * yet in a job, or in an `inbound` job in any state. Read in the order events move (ingress,
 * then the pumps' lists, then the jobs, a list being emptied only once its jobs exist), so that
 * an event on its way is seen at least once. A refused request must leave none.
 */
export async function takenEventIds(app: App): Promise<string[]> {
  const { redis } = app.services;
  const keys = ingressKeys(app.queues.prefix);
  const waiting = await redis.lrange(keys.list, 0, -1);
  const moving = (await Promise.all((await redis.smembers(keys.pumps)).map((pump) => redis.lrange(keys.taken(pump), 0, -1)))).flat();
  const jobs = await app.queues.inbound.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children']);
  return [...[...waiting, ...moving].map((item) => (JSON.parse(item) as InboundEvent).id), ...jobs.flatMap((job) => inboundEvents(job.data).map((e) => e.id))];
}

/** A running test process; see {@link startHarness}. */
export interface Harness {
  app: App;
  prisma: PrismaClient;
  demo: DemoCommune;
  console: ConsoleAdapter;
  /** Everything the console printed so far. */
  transcript(): string;
  /**
   * Types `line` as `user` (a demo user or any console user id), in the direct chat or in
   * `room`; resolves with what the console printed for it.
   */
  say(user: DemoUser | string, line: string, opts?: { room?: string }): Promise<string>;
  stop(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  /** Configuration variables added to the test defaults. */
  env?: Record<string, string>;
  /** The app's clock. */
  clock?: () => Date;
  /** Anchor of the demo tasks' due dates. */
  now?: Date;
  /** Platform adapters to run beside the console (they may read the test config). */
  adapters?: (config: Config) => Adapter[];
}

/** Starts a harness; see {@link HarnessOptions}. */
export async function startHarness(label: string, options: HarnessOptions = {}): Promise<Harness> {
  const db = await testDatabase(label);
  const prefix = `t-${label}-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    HTTP_PORT: '0',
    PILOTE_ADAPTERS: 'console',
    RATE_LIMIT_PER_MINUTE: '1000',
    WORKER_CONCURRENCY: '4',
    ...options.env,
  });
  const demo = await seedDemo(db.prisma, options.now ? { now: options.now } : {});
  let output = '';
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let app: App | undefined;
  const adapter = new ConsoleAdapter({
    input: new PassThrough(),
    output: out,
    userId: 'maire',
    locale: 'fr',
    settle: (id) => app!.settle(id),
  });
  const extra = options.adapters?.(config) ?? [];
  app = App.create({ config, role: 'all', adapters: [adapter, ...extra], logger: createLogger('silent'), ...(options.clock ? { clock: options.clock } : {}) });
  await app.start();
  let currentRoom: string | undefined;

  return {
    app,
    prisma: db.prisma,
    demo,
    console: adapter,
    transcript: () => output,
    async say(user, line, opts = {}) {
      await adapter.type(`\\as ${user}`);
      if (opts.room !== currentRoom) {
        await adapter.type(opts.room ? `\\room ${opts.room}` : '\\dm');
        currentRoom = opts.room;
      }
      const start = output.length;
      await adapter.type(line);
      return output.slice(start);
    },
    async stop() {
      await app!.stop(2000);
      const redis = new Redis(config.REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await db.drop();
    },
  };
}
