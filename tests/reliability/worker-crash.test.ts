import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Services } from '../../src/core/context.js';
import type { ChatAddress, OutboundMessage, SendResult } from '../../src/core/types.js';
import { createDelivery } from '../../src/jobs/delivery.js';
import { enqueueOutbox, writeOutbox } from '../../src/jobs/outbox.js';
import { createQueues, OUTBOUND, type OutboundJob, type Queues } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { testDatabase } from '../helpers/db.js';
import { ScriptedAdapter } from '../helpers/scripted-adapter.js';
import { transaction } from '../../src/db/sql.js';

/** A platform that never answers the first send: the worker holding it is then "killed". */
class HangingAdapter extends ScriptedAdapter {
  hangs = 1;
  started = 0;
  override async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    this.started++;
    if (this.hangs-- > 0) return new Promise<SendResult>(() => undefined);
    return super.send(to, message);
  }
}

describe('a worker killed mid-delivery', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let redis: Redis;
  let queues: Queues;
  let services: Services;
  const prefix = `t-crash-${process.pid}`;
  beforeAll(async () => {
    db = await testDatabase('crash');
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    queues = createQueues(redis, prefix, () => undefined);
    services = { config: loadConfig({ REDIS_PREFIX: prefix }), prisma: db.prisma, redis, logger: createLogger('silent'), clock: () => new Date() };
  });
  afterAll(async () => {
    await queues.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await db.drop();
  });

  it('is delivered by another worker once its lock expires, never lost and sent at most once more', async () => {
    const platform = new HangingAdapter();
    const adapters = new Map([['telegram' as const, platform]]);
    const processor = createDelivery(services, createMetrics(), adapters, queues, 0).process;
    const opts = { connection: redis, prefix, lockDuration: 1000, stalledInterval: 500, maxStalledCount: 2 };
    const first = new Worker<OutboundJob, string>(OUTBOUND, processor, opts);
    first.on('error', () => undefined);

    const [written] = await transaction(db.prisma, (tx) =>
      writeOutbox(tx, [{ to: { platform: 'telegram', workspace: '', chatId: '7' }, message: { text: 'convocation du conseil' } }]),
    );
    await enqueueOutbox(queues, [written!.id]);
    for (let i = 0; i < 100 && platform.started === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(platform.started).toBe(1);
    // The process dies: its job stays active with a lock nobody renews.
    await first.close(true);

    const second = new Worker<OutboundJob, string>(OUTBOUND, processor, opts);
    second.on('error', () => undefined);
    const id = BigInt(written!.id);
    let status = 'PENDING';
    for (let i = 0; i < 200 && status !== 'SENT'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await db.prisma.outboxMessage.findUniqueOrThrow({ where: { id } })).status;
    }
    await second.close();
    expect(status).toBe('SENT');
    expect(platform.sent.map((s) => s.message.text)).toEqual(['convocation du conseil']);
    expect(platform.started).toBe(2);
  });
});
