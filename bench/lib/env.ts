/**
 * The bench's own PostgreSQL database (`pilote_bench_<pid>`, migrated with `applyMigrations`)
 * and Redis key prefix, and their removal at the end, whatever happened.
 */
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config.js';
import { quoteIdent, runOnce, withDatabase } from '../../src/db/engine-adapters.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { alive } from '../../tests/helpers/processes.js';

/** The PostgreSQL server the bench uses (BENCH_DATABASE_URL, else the local one). */
export const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/** The Redis the bench uses. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Where the bench runs: its database URL and Redis prefix. */
export interface BenchEnv {
  databaseUrl: string;
  database: string;
  prefix: string;
  redisUrl: string;
  /** Pilote's configuration for an app on this environment (`extra` overrides). */
  config(extra?: Record<string, string>): Config;
  /** Drops the database and deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

/** Creates and migrates the bench database and picks the Redis prefix. */
export async function createBenchEnv(): Promise<BenchEnv> {
  const database = `pilote_bench_${process.pid}`;
  const prefix = `pilote_bench_${process.pid}`;
  const databaseUrl = withDatabase(SERVER_URL, database);
  await runOnce(SERVER_URL, `DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  await applyMigrations(databaseUrl);
  let cleaned = false;
  return {
    databaseUrl,
    database,
    prefix,
    redisUrl: REDIS_URL,
    config: (extra = {}) =>
      loadConfig({
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        HTTP_PORT: '0',
        RATE_LIMIT_PER_MINUTE: '1000000',
        ...extra,
      }),
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await runOnce(SERVER_URL, `DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`).catch((err) =>
        process.stderr.write(`bench: could not drop ${database}: ${(err as Error).message}\n`),
      );
      await deletePrefix(REDIS_URL, prefix).catch((err) => process.stderr.write(`bench: could not clean Redis prefix ${prefix}: ${(err as Error).message}\n`));
    },
  };
}

/** Deletes every Redis key under `prefix:` (SCAN + UNLINK, so Redis is never blocked long). */
export async function deletePrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Drops bench databases left by bench runs whose process is gone (a crash, a kill -9). */
export async function dropStaleBenchDatabases(): Promise<void> {
  const { rows } = await runOnce(SERVER_URL, "SELECT datname FROM pg_database WHERE datname ~ '^pilote_bench_[0-9]+$'");
  for (const { datname } of rows as { datname: string }[]) {
    const pid = Number(datname.slice('pilote_bench_'.length));
    if (pid === process.pid || alive(pid)) continue;
    await runOnce(SERVER_URL, `DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`).catch(() => undefined);
    await deletePrefix(REDIS_URL, datname).catch(() => undefined);
  }
}
