/**
 * Long polling with `getUpdates`, acknowledging an update only once it is safely handed on.
 *
 * Telegram forgets every update below the `offset` of the next `getUpdates` call, so the
 * offset moves past an update only after `deliver` resolved (the event is in the `inbound`
 * queue). If the queue is down, the same update is offered again after a backoff; if the
 * process dies, the next one fetches the unacknowledged updates again and the core's
 * handled-event table makes the second handling a no-op. `stop()` confirms the last offset
 * with one short call, so a clean restart does not even re-fetch.
 */
import { GrammyError, type Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import { ALLOWED_UPDATES } from './mapping.js';

/** Options of {@link Poller}. */
export interface PollerOptions {
  api: Api;
  /** Hands one update on; throws when it could not (then it is offered again later). */
  deliver: (update: Update) => Promise<void>;
  logger?: Logger;
  /** Long-poll timeout in seconds (Telegram holds the request that long when idle). */
  timeoutSeconds?: number;
  /** First and longest wait after a failure, in ms (doubling in between). */
  backoffMs?: { min: number; max: number };
}

/** The `getUpdates` loop; see the module comment. */
export class Poller {
  private readonly opts: PollerOptions;
  /** The first update id not yet handed on. */
  private offset: number | undefined;
  /** The offset Telegram last heard from us (what it considers acknowledged). */
  private confirmed: number | undefined;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private stopped = false;
  private wake?: () => void;

  constructor(opts: PollerOptions) {
    this.opts = opts;
  }

  /** Starts the loop in the background. */
  start(): void {
    if (this.loop) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Ends the loop, then tells Telegram which updates were handed on. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    if (this.offset !== undefined && this.offset !== this.confirmed) {
      try {
        await this.opts.api.getUpdates({ offset: this.offset, limit: 1, timeout: 0 });
        this.confirmed = this.offset;
      } catch (err) {
        this.opts.logger?.warn({ err: describe(err) }, 'telegram: could not confirm the last updates; they will be fetched again');
      }
    }
  }

  private async run(): Promise<void> {
    const { api, logger } = this.opts;
    const timeout = this.opts.timeoutSeconds ?? 30;
    let failures = 0;
    while (!this.stopped) {
      let updates: Update[];
      this.abort = new AbortController();
      try {
        const offset = this.offset;
        updates = await api.getUpdates(
          { ...(offset !== undefined ? { offset } : {}), timeout, allowed_updates: [...ALLOWED_UPDATES] },
          // grammY types its signal with a polyfill's type; Node's own AbortSignal is what it uses at run time.
          this.abort.signal as unknown as Parameters<Api['getUpdates']>[1],
        );
        this.confirmed = offset;
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        failures++;
        const wait = retryAfterMs(err) ?? this.backoff(failures);
        logger?.warn({ err: describe(err), waitMs: wait }, 'telegram: getUpdates failed');
        await this.sleep(wait);
        continue;
      }
      for (const update of updates) {
        if (this.offset !== undefined && update.update_id < this.offset) continue;
        if (!(await this.handOn(update))) return;
        this.offset = update.update_id + 1;
      }
    }
  }

  /** Delivers one update, retrying with backoff; false if stopped before it got through. */
  private async handOn(update: Update): Promise<boolean> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.opts.deliver(update);
        return true;
      } catch (err) {
        const wait = this.backoff(attempt);
        this.opts.logger?.warn({ err: describe(err), updateId: update.update_id, waitMs: wait }, 'telegram: could not queue an update; retrying');
        await this.sleep(wait);
      }
    }
    return false;
  }

  private backoff(failures: number): number {
    const { min, max } = this.opts.backoffMs ?? { min: 500, max: 30_000 };
    return Math.min(max, min * 2 ** Math.max(0, failures - 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function retryAfterMs(err: unknown): number | undefined {
  const seconds = err instanceof GrammyError ? err.parameters.retry_after : undefined;
  return seconds === undefined ? undefined : seconds * 1000;
}

/** An error as one log line (never the request, which holds the token in its URL). */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
