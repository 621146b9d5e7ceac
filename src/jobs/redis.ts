/**
 * Pilote's Redis connections: `REDIS_URL` directly, or, when `REDIS_SENTINELS` is set, the
 * current primary that Redis Sentinel names `REDIS_SENTINEL_NAME` (ioredis asks the sentinels
 * and follows a failover; `REDIS_URL` then only gives the user, password, database and TLS).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';

/** The part of the configuration that says how to reach Redis. */
export type RedisConfig = Pick<Config, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_SENTINEL_PASSWORD'>;

/** The ioredis options that route through Sentinel, or none when `REDIS_SENTINELS` is empty. */
export function sentinelOptions(config: RedisConfig): RedisOptions {
  if (config.REDIS_SENTINELS.length === 0) return {};
  return {
    sentinels: config.REDIS_SENTINELS.map((hostPort) => {
      const at = hostPort.lastIndexOf(':');
      return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
    }),
    name: config.REDIS_SENTINEL_NAME,
    ...(config.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: config.REDIS_SENTINEL_PASSWORD } : {}),
  };
}

/** Opens a connection to Pilote's Redis with `options` (BullMQ's `maxRetriesPerRequest: null`, timeouts…). */
export function connectRedis(config: RedisConfig, options: RedisOptions = {}): Redis {
  return new Redis(config.REDIS_URL, { ...sentinelOptions(config), ...options });
}
