/**
 * `PILOTE_ADAPTERS=matrix pilote start` as an operator runs it: a real process that loads
 * matrix-bot-sdk (with the crypto stub), logs in with MATRIX_USER_ID and MATRIX_PASSWORD, keeps
 * its token and sync state through the core's store, checks inviters through the core, answers,
 * and stops on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../../src/db/seed.js';
import { FakeHomeserver } from '../../fakes/matrix.js';
import { testDatabase, type TestDatabase } from '../../helpers/db.js';

const BIN = fileURLToPath(new URL('../../../bin/pilote.js', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('pilote start with PILOTE_ADAPTERS=matrix', () => {
  let db: TestDatabase;
  let hs: FakeHomeserver;
  let child: ChildProcess | undefined;
  let output = '';
  const prefix = `t-matrix-start-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    db = await testDatabase('matrix-start');
    hs = await FakeHomeserver.start('pilote.test');
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await hs?.close();
    await db?.drop();
  });

  it('logs in once, answers a linked member in a room it was invited to, and stops on SIGTERM', async () => {
    const demo = await seedDemo(db.prisma);
    const bot = hs.addUser('pilote', { password: 's3cret-bot' });
    const claire = hs.addUser('claire', { displayName: 'Claire Martin' });
    await db.prisma.chatIdentity.create({ data: { memberId: demo.members.maire, platform: 'MATRIX', workspace: 'pilote.test', userId: claire } });

    child = spawn(process.execPath, [BIN, 'start', '--role', 'all'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: db.url,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        PILOTE_ADAPTERS: 'matrix',
        MATRIX_HOMESERVER_URL: hs.url,
        MATRIX_USER_ID: bot,
        MATRIX_PASSWORD: 's3cret-bot',
        HTTP_PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));

    // Synced once (the initial sync), then long-polling with a token.
    await hs.waitFor(() => hs.syncs().some((s) => s.userId === bot && s.since), 25_000, `the bot syncing (output: ${output})`);
    expect(hs.requests.filter((r) => r.path.endsWith('/login'))).toHaveLength(1);
    expect(output).not.toContain('s3cret-bot');
    expect(output).not.toMatch(/tok_[0-9a-f]/);

    const room = hs.createRoom(claire, { name: 'Conseil', invite: [bot] });
    await hs.waitFor(() => hs.membership(room, bot) === 'join', 10_000, 'the bot joining');
    hs.say(room, claire, '!tache Nettoyer le lavoir');
    const answer = await hs.waitFor(() => hs.messagesFrom(room, bot).find((e) => String(e.content.body).includes('Nettoyer le lavoir')), 15_000, 'the answer');
    expect(answer.content.msgtype).toBe('m.notice');

    const kept = await db.prisma.adapterState.findMany({ where: { key: { startsWith: 'matrix:' } } });
    expect(kept.map((k) => k.key).sort()).toEqual([`matrix:${bot}:filter`, `matrix:${bot}:sync`, `matrix:login:${bot}`]);

    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The pending long poll does not hold the exit back.
    expect(Date.now() - t0).toBeLessThan(5000);
  }, 60_000);
});
