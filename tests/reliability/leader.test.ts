/**
 * Telegram long polling across processes: two `web` processes (and a `worker`) against the fake
 * Bot API. Exactly one polls at a time (leader-elected through Redis); when it is killed -9, the
 * other takes over within about one lease, and an update sent afterwards is handled once.
 * Each web process reaches the fake through its own recording proxy, so the test knows who polls.
 */
import { randomBytes } from 'node:crypto';
import type { Chat, User } from 'grammy/types';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../fakes/telegram.js';
import { testDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, healthy, recordingProxy, started, startPilote, stopPilote, type PiloteProcess, type RecordingProxy } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEASE_SECONDS = 2;

describe('the Telegram polling loop over two web processes', () => {
  let db: TestDatabase;
  let fake: FakeTelegram;
  let redis: Redis;
  const prefix = `t-leader-e2e-${randomBytes(3).toString('hex')}`;
  const proxies: RecordingProxy[] = [];
  const procs: PiloteProcess[] = [];
  const paul: User = FakeTelegram.user(5101, 'Paul', { username: 'paul_l', language_code: 'fr' });
  let chat: Chat;

  beforeAll(async () => {
    db = await testDatabase('leader-e2e');
    fake = await FakeTelegram.start();
    redis = new Redis(REDIS_URL);
    const commune = await db.prisma.commune.create({ data: { name: 'Saint-Élu', insee: '99051' } });
    const member = await db.prisma.member.create({ data: { communeId: commune.id, role: 'COUNCILLOR', displayName: 'Paul Leroy', searchName: 'paul leroy' } });
    await db.prisma.chatIdentity.create({ data: { memberId: member.id, platform: 'TELEGRAM', userId: String(paul.id), username: 'paul_l', directChatId: String(paul.id) } });
    chat = fake.privateChat(paul);
  });
  afterAll(async () => {
    await Promise.allSettled(procs.map((p) => stopPilote(p)));
    await Promise.allSettled(proxies.map((p) => p.close()));
    await fake?.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await db?.drop();
  });

  const env = (extra: Record<string, string>) => ({
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    PILOTE_ADAPTERS: 'telegram',
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    LEADER_LEASE_SECONDS: String(LEASE_SECONDS),
    WORKER_CONCURRENCY: '4',
    LOG_LEVEL: 'info',
    ...extra,
  });
  const polls = (p: RecordingProxy) => p.calls.filter((c) => c.method === 'getUpdates');
  const conflicts = () => fake.callsOf('getUpdates').filter((c) => c.status === 409);
  const replies = (title: string) => fake.botMessages(chat).filter((m) => m.text.includes(title)).length;
  async function handledOnce(title: string): Promise<void> {
    const update = fake.userSends(paul, chat, `/tache ${title}`)!;
    const key = `telegram-${fake.bot.id}-${update.update_id}`;
    await until(`${key} to be handled`, () => db.prisma.handledEvent.findUnique({ where: { key } }), 20_000);
    await until(`the reply to ${title}`, () => replies(title) > 0, 20_000);
  }

  it('polls from one process only, and another takes over within about one lease when it is killed', async () => {
    for (let i = 0; i < 2; i++) proxies.push(await recordingProxy(fake.apiRoot));
    const ports = [await freePort(), await freePort()];
    const webs = [0, 1].map((i) => startPilote(`web-${i}`, 'web', env({ TELEGRAM_API_ROOT: proxies[i]!.url, HTTP_PORT: String(ports[i]) })));
    const worker = startPilote('worker', 'worker', env({ HTTP_PORT: '0' }));
    procs.push(...webs, worker);
    await Promise.all([...webs.map((w) => healthy(w)), started(worker)]);

    // One of them polls; after several lease periods, still only that one, and Telegram never had two pollers.
    const leaderIndex = await until('a poller', () => {
      const i = proxies.findIndex((p) => polls(p).length > 0);
      return i >= 0 ? i + 1 : undefined;
    }, 20_000) - 1;
    const standby = 1 - leaderIndex;
    await new Promise((r) => setTimeout(r, 2.5 * LEASE_SECONDS * 1000));
    expect(polls(proxies[standby]!)).toHaveLength(0);
    expect(proxies[standby]!.calls).toHaveLength(0);
    expect(conflicts()).toHaveLength(0);
    // The standby keeps serving HTTP (webhooks and probes need no leader).
    expect((await fetch(`http://127.0.0.1:${ports[standby]}/healthz`)).status).toBe(200);

    await handledOnce('Tailler les haies du cimetière');
    expect(replies('Tailler les haies du cimetière')).toBe(1);

    // The leader dies without a word: its lease runs out, the standby takes it and polls.
    const killedAt = Date.now();
    webs[leaderIndex]!.child.kill('SIGKILL');
    await webs[leaderIndex]!.exited;
    const pollsBefore = polls(proxies[leaderIndex]!).length;
    await until('the standby to poll', () => polls(proxies[standby]!).length > 0, 6 * LEASE_SECONDS * 1000);
    const takeoverMs = polls(proxies[standby]!)[0]!.at - killedAt;
    console.info(`leader e2e: standby polling ${takeoverMs} ms after the leader was killed (lease ${LEASE_SECONDS} s)`);
    expect(takeoverMs).toBeLessThan(LEASE_SECONDS * 1000 + 3000);
    expect(webs[standby]!.output()).toContain('telegram receiver: elected leader');

    await handledOnce('Réparer la fontaine');
    await new Promise((r) => setTimeout(r, 1000));
    // Handled and answered once each, the update fetched before the kill included.
    expect(replies('Réparer la fontaine')).toBe(1);
    expect(replies('Tailler les haies du cimetière')).toBe(1);
    expect(await db.prisma.task.count()).toBe(2);
    expect(polls(proxies[leaderIndex]!)).toHaveLength(pollsBefore);
    // A second poller would have been told 409 by Telegram; nothing of the kind after the handover either.
    expect(conflicts()).toHaveLength(0);
  }, 120_000);
});
