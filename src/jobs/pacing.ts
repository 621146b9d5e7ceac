/**
 * Per-chat pacing of deliveries (SPEC section 3: about 1 message per second per chat, 20 per
 * minute per group). Each send reserves the next free slot of its chat in Redis, atomically,
 * so several workers share one pace; a job whose slot is later waits in the delayed set.
 */
import type { Redis } from 'ioredis';

const RESERVE = `
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local slot = math.max(now, nextFree)
redis.call('SET', KEYS[1], slot + interval, 'PX', slot - now + interval * 2)
return slot`;

/** Reserves the next send slot (epoch ms) of a chat whose messages must be `intervalMs` apart. */
export async function reserveSlot(redis: Redis, key: string, intervalMs: number, now = Date.now()): Promise<number> {
  return Number(await redis.eval(RESERVE, 1, key, String(now), String(intervalMs)));
}
