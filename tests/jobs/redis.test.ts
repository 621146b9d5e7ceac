/**
 * Reaching Redis through Sentinel (REDIS_SENTINELS): a private primary and a sentinel watching
 * it, started for this file; BullMQ queues and the leader lease work through the connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { canConnect } from '../../src/demo/services.js';
import { acquireLease } from '../../src/jobs/leader.js';
import { connectRedis, sentinelOptions } from '../../src/jobs/redis.js';
import { freePort } from '../helpers/processes.js';

async function redisServer(args: string[], port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await canConnect('127.0.0.1', port, 100)); i++) await new Promise((r) => setTimeout(r, 50));
  return child;
}

describe('Redis through Sentinel', () => {
  const children: ChildProcess[] = [];
  let dir: string;
  let primaryPort: number;
  let sentinelPort: number;
  let redis: Redis | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pilote-sentinel-'));
    primaryPort = await freePort();
    sentinelPort = await freePort();
    children.push(await redisServer(['--port', String(primaryPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], primaryPort));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, [`port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor pilote-t 127.0.0.1 ${primaryPort} 1`, ''].join('\n'));
    children.push(await redisServer([conf, '--sentinel'], sentinelPort));
  });
  afterAll(async () => {
    redis?.disconnect();
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads REDIS_SENTINELS and rejects a malformed one', () => {
    const config = loadConfig({ REDIS_SENTINELS: 'sentinel-a:26379, sentinel-b:26380', REDIS_SENTINEL_NAME: 'pilote', REDIS_SENTINEL_PASSWORD: 's3cret' });
    expect(sentinelOptions(config)).toEqual({
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: 'sentinel-b', port: 26380 },
      ],
      name: 'pilote',
      sentinelPassword: 's3cret',
    });
    expect(sentinelOptions(loadConfig({}))).toEqual({});
    expect(() => loadConfig({ REDIS_SENTINELS: 'sentinel-a' })).toThrow(/REDIS_SENTINELS.*: each sentinel must be host:port/);
  });

  it('finds the primary through the sentinel; queues and leases work on it', async () => {
    // REDIS_URL's host is not used in Sentinel mode: the sentinel names the primary.
    const config = loadConfig({ REDIS_URL: 'redis://unused.invalid:6379', REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, REDIS_SENTINEL_NAME: 'pilote-t' });
    redis = connectRedis(config, { maxRetriesPerRequest: null });
    await redis.set('pilote-t:probe', 'ok');
    expect(await redis.get('pilote-t:probe')).toBe('ok');
    expect(await redis.config('GET', 'port')).toEqual(['port', String(primaryPort)]);
    expect(await acquireLease(redis, 'pilote-t:leader:x', 'me', 5000)).toBe(true);

    const queue = new Queue('sentinel-check', { connection: redis, prefix: 'pilote-t' });
    const done = new Promise<string>((resolve) => {
      const worker = new Worker('sentinel-check', async (job) => job.data.hello as string, { connection: redis!, prefix: 'pilote-t' });
      worker.on('completed', (_job, value: string) => void worker.close().then(() => resolve(value)));
    });
    await queue.add('hello', { hello: 'via sentinel' });
    expect(await done).toBe('via sentinel');
    await queue.close();
  });
});
