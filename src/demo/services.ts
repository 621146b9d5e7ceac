/**
 * Finds PostgreSQL and Redis for the demo without any setup (issue "demo in the terminal"):
 * DATABASE_URL, else a local PostgreSQL on 127.0.0.1:5432 (database `pilote_demo`), else an
 * embedded PGlite under the data folder; REDIS_URL, else a local Redis on 6379, else a private
 * `redis-server` on a free port when one is installed, else one clear line on how to get Redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';

/** Where the demo's PostgreSQL lives. */
export type DemoDatabase = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

/** What the demo found, and how to release it. */
export interface DemoServices {
  database: DemoDatabase;
  redisUrl: string;
  /** Stops what the demo started itself (the private redis-server). */
  release(): Promise<void>;
}

/** Raised when no Redis can be found or started; its message is the one line to show. */
export class NoRedisError extends Error {}

/** Whether something accepts TCP connections on host:port within `ms`. */
export function canConnect(host: string, port: number, ms = 800): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startPrivateRedis(dataDir: string): Promise<{ url: string; child: ChildProcess } | undefined> {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (which.status !== 0 || !bin) return undefined;
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 50; i++) {
    if (await canConnect('127.0.0.1', port, 200)) return { url: `redis://127.0.0.1:${port}`, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  return undefined;
}

/** Resolves the demo's database and Redis as described in the module comment. */
export async function findDemoServices(env: NodeJS.ProcessEnv, dataDir: string): Promise<DemoServices> {
  mkdirSync(dataDir, { recursive: true });
  let database: DemoDatabase;
  if (env.DATABASE_URL) database = { kind: 'postgres', url: env.DATABASE_URL };
  else if (await canConnect('127.0.0.1', 5432)) database = { kind: 'postgres', url: 'postgresql://postgres@127.0.0.1:5432/pilote_demo' };
  else database = { kind: 'pglite', dataDir: join(dataDir, 'pglite') };

  let child: ChildProcess | undefined;
  let redisUrl = env.REDIS_URL;
  if (!redisUrl) {
    if (await canConnect('127.0.0.1', 6379)) redisUrl = 'redis://127.0.0.1:6379';
    else {
      const started = await startPrivateRedis(dataDir);
      if (!started) {
        throw new NoRedisError(
          'Pilote needs Redis: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379.',
        );
      }
      redisUrl = started.url;
      child = started.child;
    }
  }
  return {
    database,
    redisUrl,
    async release() {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
