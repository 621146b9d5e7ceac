/**
 * Pilote spread over processes (issue 7): one `web`, two `worker`s and two `scheduler`s, each a
 * real `pilote start --role …` child process, against one PostgreSQL database and one Redis
 * prefix, with Telegram in webhook mode and the fake Bot API in this process. 2,000 commands
 * POSTed to the web process's webhook, 500 reminders falling due and 40 morning digests must
 * each be handled once and delivered once: no duplicate and nothing missing, in the database
 * and in the fake's log of sendMessage calls.
 *
 * About 45 s on two idle cores, 75-100 s when they are busy: it runs in the default suite.
 */
import { randomBytes } from 'node:crypto';
import type { Update, User } from 'grammy/types';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../fakes/telegram.js';
import { testDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, healthy, started, startPilote, stopPilote, type PiloteProcess } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const COMMUNES = 10;
const MEMBERS_PER_COMMUNE = 25;
const MEMBERS = COMMUNES * MEMBERS_PER_COMMUNE;
const COMMANDS = 2000;
const REMINDERS = 500;
const DIGESTS = 40;

/** `[c0042]`-style markers make every expected message recognisable in the fake's log. */
const marker = (kind: 'c' | 'r' | 'd', i: number) => `[${kind}${String(i).padStart(4, '0')}]`;

/** A zone where it is neither just before nor just after midnight now, so a digest set for "now" is due today. */
function daytimeZone(now: Date): string {
  for (const zone of ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'America/Los_Angeles', 'Pacific/Noumea']) {
    const hour = DateTime.fromJSDate(now, { zone }).hour;
    if (hour >= 1 && hour <= 22) return zone;
  }
  return 'Europe/Paris';
}

describe('one web, two workers and two schedulers', () => {
  let db: TestDatabase;
  let fake: FakeTelegram;
  let redis: Redis;
  const prefix = `t-multi-${randomBytes(3).toString('hex')}`;
  const procs: PiloteProcess[] = [];
  const users: User[] = [];
  const memberIds: string[] = [];
  const communeIds: string[] = [];

  beforeAll(async () => {
    db = await testDatabase('multiprocess');
    fake = await FakeTelegram.start();
    redis = new Redis(REDIS_URL);
    for (let c = 0; c < COMMUNES; c++) {
      const commune = await db.prisma.commune.create({ data: { name: `Multi-${c}`, insee: String(99_500 + c) } });
      communeIds.push(commune.id);
      for (let m = 0; m < MEMBERS_PER_COMMUNE; m++) {
        const i = c * MEMBERS_PER_COMMUNE + m;
        const user = FakeTelegram.user(610_000 + i, `Membre${i}`, { language_code: 'fr' });
        users.push(user);
        fake.privateChat(user);
        const name = `Membre ${String(i).padStart(4, '0')}`;
        const member = await db.prisma.member.create({
          data: {
            communeId: commune.id,
            role: 'COUNCILLOR',
            displayName: name,
            searchName: name.toLowerCase(),
            identities: { create: { platform: 'TELEGRAM', userId: String(user.id), directChatId: String(user.id) } },
          },
        });
        memberIds.push(member.id);
      }
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(procs.map((p) => stopPilote(p)));
    await fake?.close();
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
      redis.disconnect();
    }
    await db?.drop();
  });

  /**
   * Reminders `from`…`to` (exclusive), due between `inMs[0]` and `inMs[1]` from now, for the
   * members without a digest (a digest lists the day's reminders: their markers would show twice).
   */
  async function insertReminders(from: number, to: number, inMs: [number, number]): Promise<void> {
    const now = Date.now();
    const data = [];
    for (let i = from; i < to; i++) {
      const member = DIGESTS + (i % (MEMBERS - DIGESTS));
      const communeId = communeIds[Math.floor(member / MEMBERS_PER_COMMUNE)]!;
      const at = new Date(now + inMs[0] + Math.round(((i - from) / Math.max(1, to - from - 1)) * (inMs[1] - inMs[0])));
      data.push({
        communeId,
        number: 1000 + i,
        kind: 'USER' as const,
        createdById: memberIds[member]!,
        targetMemberId: memberIds[member]!,
        text: `Rappel ${marker('r', i)}`,
        firstAt: at,
        nextAt: at,
        timezone: 'Europe/Paris',
      });
    }
    await db.prisma.reminder.createMany({ data });
    await db.prisma.commune.updateMany({ data: { reminderSeq: 1000 + REMINDERS } });
  }

  /** Morning digests due now for the first DIGESTS members, each with one overdue task so it is not empty. */
  async function setDigests(): Promise<void> {
    const now = new Date();
    const zone = daytimeZone(now);
    const hhmm = DateTime.fromJSDate(now, { zone }).toFormat('HH:mm');
    for (let i = 0; i < DIGESTS; i++) {
      const communeId = communeIds[Math.floor(i / MEMBERS_PER_COMMUNE)]!;
      await db.prisma.member.update({ where: { id: memberIds[i]! }, data: { digestTime: hhmm, timezone: zone } });
      await db.prisma.task.create({
        data: {
          communeId,
          number: 10_000 + i,
          title: `Retard ${marker('d', i)}`,
          createdById: memberIds[i]!,
          assigneeId: memberIds[i]!,
          createdVia: 'TELEGRAM',
          dueAt: new Date(now.getTime() - 3 * 24 * 3600_000),
        },
      });
    }
    await db.prisma.commune.updateMany({ data: { taskSeq: 10_000 + DIGESTS } });
  }

  it('handles and delivers 2,000 commands, 500 reminders and 40 digests exactly once', async () => {
    const t0 = Date.now();
    const webPort = await freePort();
    const hookPath = `/telegram/${randomBytes(8).toString('hex')}`;
    const secret = randomBytes(16).toString('hex');
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      PILOTE_ADAPTERS: 'telegram',
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${webPort}${hookPath}`,
      TELEGRAM_WEBHOOK_SECRET: secret,
      RATE_LIMIT_PER_MINUTE: '100',
      RECONCILE_INTERVAL_SECONDS: '3',
      LOG_LEVEL: 'info',
    };

    // Half the reminders exist before the schedulers start (reconciled at start), half come later.
    await insertReminders(0, REMINDERS / 2, [25_000, 40_000]);
    await setDigests();
    procs.push(startPilote('web', 'web', { ...env, HTTP_PORT: String(webPort) }));
    for (const i of [1, 2]) procs.push(startPilote(`worker-${i}`, 'worker', { ...env, HTTP_PORT: '0', WORKER_CONCURRENCY: '8' }));
    for (const i of [1, 2]) procs.push(startPilote(`scheduler-${i}`, 'scheduler', { ...env, HTTP_PORT: '0' }));
    await Promise.all(procs.map((p) => (p.name === 'web' ? healthy(p, 90_000) : started(p, 90_000))));
    const upAt = Date.now();
    await insertReminders(REMINDERS / 2, REMINDERS, [5_000, 20_000]);

    // 2,000 commands, eight per member, POSTed to the webhook sixteen at a time, as Telegram would.
    const updates: Update[] = [];
    for (let i = 0; i < COMMANDS; i++) {
      const from = users[i % MEMBERS]!;
      const text = `/tache Tâche ${marker('c', i)}`;
      updates.push({
        update_id: 900_000 + i,
        message: { message_id: 1 + Math.floor(i / MEMBERS), from, chat: { id: from.id, type: 'private', first_name: from.first_name }, date: Math.floor(Date.now() / 1000), text, entities: [{ type: 'bot_command', offset: 0, length: 6 }] },
      } as Update);
    }
    let next = 0;
    const post = async () => {
      while (next < updates.length) {
        const update = updates[next++]!;
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(`http://127.0.0.1:${webPort}${hookPath}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
            body: JSON.stringify(update),
          });
          await res.arrayBuffer();
          if (res.status === 200) break;
          if (attempt === 5) throw new Error(`webhook answered ${res.status} to update ${update.update_id}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, post));
    const postedAt = Date.now();

    const expected = COMMANDS + REMINDERS + DIGESTS;
    const sentRows = () => db.prisma.outboxMessage.count({ where: { status: 'SENT' } });
    await until(
      `${expected} messages sent\n${procs.map((p) => `--- ${p.name}\n${p.output().slice(-1500)}`).join('\n')}`,
      async () => (await sentRows()) >= expected,
      150_000,
    );
    const doneAt = Date.now();
    // Anything doubled late (a second scheduler, a retried job) would show up by now.
    await new Promise((r) => setTimeout(r, 2000));
    console.info(
      `multiprocess: processes up in ${upAt - t0} ms, 2,000 commands posted in ${postedAt - upAt} ms, ` +
        `all ${expected} messages delivered ${doneAt - upAt} ms after start-up`,
    );

    // Handled once: one event key, one task and one reply row per command; nothing failed or pending.
    const keys = updates.map((u) => `telegram-${fake.bot.id}-${u.update_id}`);
    expect(await db.prisma.handledEvent.count({ where: { key: { in: keys } } })).toBe(COMMANDS);
    const tasks = await db.prisma.task.groupBy({ by: ['title'], where: { title: { startsWith: 'Tâche [c' } }, _count: { _all: true } });
    expect(tasks).toHaveLength(COMMANDS);
    expect(tasks.filter((t) => t._count._all !== 1)).toEqual([]);
    const bySource = await db.prisma.outboxMessage.groupBy({ by: ['sourceEventKey'], where: { sourceEventKey: { in: keys } }, _count: { _all: true } });
    expect(bySource).toHaveLength(COMMANDS);
    expect(bySource.filter((r) => r._count._all !== 1)).toEqual([]);
    expect(await db.prisma.outboxMessage.count({ where: { status: { not: 'SENT' } } })).toBe(0);
    expect(await db.prisma.outboxMessage.count()).toBe(expected);

    // Fired once: every reminder is done after exactly one firing.
    const reminders = await db.prisma.reminder.findMany({ where: { number: { gte: 1000 } }, select: { status: true, firedCount: true } });
    expect(reminders).toHaveLength(REMINDERS);
    expect(reminders.filter((r) => r.status !== 'DONE' || r.firedCount !== 1)).toEqual([]);
    // Digests: handled today by one of the workers.
    const digested = await db.prisma.member.count({ where: { digestTime: { not: null }, lastDigestOn: { not: null } } });
    expect(digested).toBe(DIGESTS);

    // Delivered once: the fake saw each expected message in exactly one successful sendMessage.
    const seen = new Map<string, number>();
    const sends = fake.callsOf('sendMessage').filter((c) => c.status === 200);
    for (const call of sends) {
      // A task reply names its task twice (title, then the task line): count messages, not mentions.
      for (const m of new Set(String(call.payload.text ?? '').match(/\[[crd]\d{4}\]/g))) seen.set(m, (seen.get(m) ?? 0) + 1);
    }
    const want = [
      ...Array.from({ length: COMMANDS }, (_, i) => marker('c', i)),
      ...Array.from({ length: REMINDERS }, (_, i) => marker('r', i)),
      ...Array.from({ length: DIGESTS }, (_, i) => marker('d', i)),
    ];
    expect(want.filter((m) => !seen.has(m))).toEqual([]);
    const warnings = procs.map((p) => `--- ${p.name}\n${p.output().split('\n').filter((l) => /"level":[456]0/.test(l)).join('\n')}`).join('\n');
    expect([...seen].filter(([, count]) => count !== 1), warnings).toEqual([]);
    expect(seen.size).toBe(want.length);
    expect(sends).toHaveLength(expected);
    // And each in the private chat of the member it was for.
    const chatOfCommand = new Map(updates.map((u, i) => [marker('c', i), u.message!.chat.id]));
    for (const call of sends) {
      const m = /\[c\d{4}\]/.exec(String(call.payload.text ?? ''))?.[0];
      if (m) expect(Number(call.payload.chat_id)).toBe(chatOfCommand.get(m));
    }
  }, 240_000);
});
