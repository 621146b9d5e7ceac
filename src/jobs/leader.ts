/**
 * Leader election through Redis, for the work that must run in one process at a time: the
 * Telegram long-polling loop and the Matrix /sync loop (Telegram answers 409 to a second
 * poller; two /sync loops would fight over one sync token).
 *
 * A lease is one key holding its holder's id with a time to live: taken with `SET NX PX`,
 * renewed every ttl/3 by a compare-and-set script (only the holder extends it), deleted by its
 * holder on stop. A holder that cannot renew (Redis away) steps down while its lease is still
 * surely valid, so that it has stopped before anyone else can take the key; a holder that dies
 * leaves the key to expire, and another process takes over within about one ttl.
 *
 * Exactly-once never rests on the lease (clocks drift, a paused process wakes up late): the
 * work it guards is idempotent anyway (Telegram update ids and Matrix sync tokens are only
 * confirmed once queued, the core dedupes event keys). The lease keeps processes from fighting.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** A holder id unique to this process and call: `<host>-<pid>-<random>`. */
export function newHolderId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Takes the lease `key` for `holder` if it is free (or already `holder`'s, from an attempt whose
 * answer was lost); true when `holder` now holds it for `ttlMs`.
 */
export async function acquireLease(redis: Redis, key: string, holder: string, ttlMs: number): Promise<boolean> {
  if ((await redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK') return true;
  return renewLease(redis, key, holder, ttlMs);
}

/** Extends `holder`'s lease to `ttlMs` from now; false when `holder` does not hold it (any more). */
export async function renewLease(redis: Redis, key: string, holder: string, ttlMs: number): Promise<boolean> {
  return Number(await redis.eval(RENEW, 1, key, holder, String(Math.round(ttlMs)))) === 1;
}

/** Deletes the lease if `holder` holds it; true when it did. */
export async function releaseLease(redis: Redis, key: string, holder: string): Promise<boolean> {
  return Number(await redis.eval(RELEASE, 1, key, holder)) === 1;
}

/** Options of {@link LeaderElection}. */
export interface LeaderElectionOptions {
  /** Redis connection (commands may queue while it reconnects: every call here has a deadline). */
  redis: Redis;
  /** The lease's key, prefixed by the caller (`<REDIS_PREFIX>:leader:<what>`). */
  key: string;
  /** Lease lifetime; renewed every third of it. Another process takes over a dead leader within about this long. */
  ttlMs: number;
  /** Starts the guarded work when this process becomes leader; a throw gives the lease back (tried again later). */
  onElected: () => Promise<void>;
  /** Stops the guarded work when this process stops being leader (lease lost, Redis away, stop). */
  onDeposed: () => Promise<void>;
  /** What is guarded, for the logs (`telegram receiver`). */
  name?: string;
  logger?: Logger;
  /** This contender's id (default {@link newHolderId}). */
  holder?: string;
}

/**
 * One contender for a lease: tries to take it every ttl/3, runs `onElected` once it holds it,
 * renews it while it holds it, and runs `onDeposed` when it loses it or stops. Transitions
 * run one at a time, in order, and renewing goes on while `onElected` runs.
 */
export class LeaderElection {
  /** This contender's id, the lease's value while it leads. */
  readonly holder: string;
  private readonly opts: LeaderElectionOptions;
  private readonly periodMs: number;
  /** Holds the lease (as far as this process knows). */
  private leading = false;
  /** The guarded work runs (onElected done, onDeposed not yet). */
  private working = false;
  /** Until when the lease surely holds: the start of the last successful take/renew call + ttl. */
  private validUntil = 0;
  private running = false;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private settling?: Promise<void>;
  private again = false;
  private lastStartError?: unknown;

  constructor(opts: LeaderElectionOptions) {
    this.opts = opts;
    this.holder = opts.holder ?? newHolderId();
    this.periodMs = Math.max(50, Math.floor(opts.ttlMs / 3));
  }

  /** Whether this process holds the lease and its work runs. */
  get isLeader(): boolean {
    return this.leading && this.working;
  }

  /**
   * Makes the first attempt and keeps contending in the background. Resolves once that attempt
   * is settled (elected and `onElected` done, or someone else leads); if it won but
   * `onElected` failed, gives the lease back, stops contending and rejects with that error.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.lastStartError = undefined;
    await this.tick();
    await this.settle();
    const failed = this.lastStartError;
    if (failed !== undefined) {
      await this.stop();
      throw failed;
    }
    this.schedule();
  }

  /** Stops contending: stops the work if it runs, then deletes the lease so another process takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.ticking;
    const held = this.leading;
    this.leading = false;
    await this.settle();
    if (held) {
      await deadline(releaseLease(this.opts.redis, this.opts.key, this.holder), this.periodMs).catch((err: unknown) =>
        this.log('warn', { err: describe(err) }, 'could not release the lease; it expires by itself'),
      );
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule();
      });
    }, this.periodMs);
    this.timer.unref();
  }

  /** One round: renew the lease held, or try to take it; then bring the work in line. */
  private async tick(): Promise<void> {
    const { redis, key, ttlMs } = this.opts;
    const started = Date.now();
    if (this.leading) {
      let renewed: boolean | undefined;
      try {
        renewed = await deadline(renewLease(redis, key, this.holder, ttlMs), this.periodMs);
      } catch (err) {
        this.log('warn', { err: describe(err) }, 'could not renew the lease');
      }
      if (renewed === true) {
        this.validUntil = started + ttlMs;
      } else if (renewed === false) {
        this.log('warn', {}, 'lease lost: stopping');
        this.leading = false;
      } else if (Date.now() + this.periodMs >= this.validUntil) {
        // The lease may lapse before the next round: stop now, while no one else can hold it.
        this.log('warn', {}, 'lease about to lapse without Redis: stopping');
        this.leading = false;
      }
    } else {
      try {
        if (await deadline(acquireLease(redis, key, this.holder, ttlMs), this.periodMs)) {
          this.validUntil = started + ttlMs;
          this.leading = true;
          this.log('info', {}, 'elected leader');
        }
      } catch (err) {
        this.log('debug', { err: describe(err) }, 'could not try to take the lease');
      }
    }
    if (this.leading !== this.working) void this.settle();
  }

  /** Runs onElected/onDeposed until the work matches the lease; one run at a time. */
  private settle(): Promise<void> {
    if (this.settling) {
      this.again = true;
      return this.settling;
    }
    this.settling = (async () => {
      do {
        this.again = false;
        while (this.leading !== this.working) {
          if (this.leading && this.running) {
            try {
              await this.opts.onElected();
              this.working = true;
            } catch (err) {
              this.lastStartError = err;
              this.log('error', { err: describe(err) }, 'could not start as leader: giving the lease back');
              this.leading = false;
              // Whatever part of the work started is stopped before another process may take over.
              await this.opts.onDeposed().catch(() => undefined);
              await deadline(releaseLease(this.opts.redis, this.opts.key, this.holder), this.periodMs).catch(() => undefined);
            }
          } else if (this.working) {
            try {
              await this.opts.onDeposed();
            } catch (err) {
              this.log('error', { err: describe(err) }, 'stopping the leader’s work failed');
            }
            this.working = false;
            this.log('info', {}, 'stepped down');
          } else {
            // Elected while stopping: nothing runs, and stop() gives the lease back.
            this.leading = false;
          }
        }
      } while (this.again);
    })().finally(() => {
      this.settling = undefined;
    });
    return this.settling;
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', fields: object, msg: string): void {
    this.opts.logger?.[level]({ ...fields, lease: this.opts.key, holder: this.holder }, `${this.opts.name ?? 'leader election'}: ${msg}`);
  }
}

/** `p`, or a rejection once `ms` passed (the command may still reach Redis later). */
function deadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
