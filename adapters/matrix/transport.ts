/**
 * The connection to the homeserver, on matrix-bot-sdk (loaded only when Matrix is configured):
 * the account (a given access token, or a password login done once and its token kept), and a
 * client whose sync loop is Pilote's own. The SDK's loop saves the sync token before the batch
 * is handled and, after a failed batch, goes on from the next one; it also waits a fixed 5-15 s
 * after any error. Here the token is saved only once every event of the batch is queued (a
 * crash or a queue outage re-fetches the batch: no event missed, duplicates are no-ops in the
 * core), and a failed sync is retried with exponential backoff, or after the server's
 * `retry_after_ms`.
 */
import { inspect } from 'node:util';
import { LogLevel, LogService, MatrixAuth, MatrixClient, type IStorageProvider } from 'matrix-bot-sdk';
import type { Logger } from 'pino';
import type { AdapterStore } from '../../src/core/types.js';
import { errcodeOf, retryAfterOf } from './errors.js';

/** A /sync answer (only the parts Pilote reads). */
export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: unknown[] }; state?: { events?: unknown[] } }>;
    invite?: Record<string, { invite_state?: { events?: unknown[] } }>;
    leave?: Record<string, unknown>;
  };
}

/** What the sync loop calls. */
export interface SyncHandlers {
  /** Handles one batch; `initial` when there was no sync token (the history of every room). Throw to get the batch again. */
  onBatch(raw: SyncResponse, initial: boolean): Promise<void>;
  /** A sync failed; the loop waits `waitMs` before the next try. */
  onError(err: unknown, waitMs: number, failures: number): void;
}

/** First and longest wait after failed syncs. */
export interface Backoff {
  minMs: number;
  maxMs: number;
}

/** The wait before the `failures`-th retry: doubling from `minMs` up to `maxMs`, ±20 % jitter. */
export function backoffDelay(failures: number, b: Backoff): number {
  const base = Math.min(b.maxMs, b.minMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** matrix-bot-sdk's client with Pilote's sync loop (see the module comment). */
export class SyncingClient extends MatrixClient {
  private handlers?: SyncHandlers;
  private halted = true;
  private wake?: () => void;
  /** The batch being handled, if any (a stop waits for it, not for the long poll). */
  private handling?: Promise<void>;
  private readonly backoff: Backoff;

  constructor(homeserverUrl: string, accessToken: string, storage: IStorageProvider | null, backoff: Backoff) {
    super(homeserverUrl, accessToken, storage ?? undefined);
    this.backoff = backoff;
  }

  /** Prepares (joined rooms, filter) and starts the sync loop; resolves once it runs. */
  async startSyncing(filter: object, handlers: SyncHandlers): Promise<void> {
    this.handlers = handlers;
    this.halted = false;
    await this.start(filter);
  }

  protected override async startSyncInternal(): Promise<void> {
    const token = await Promise.resolve(this.storageProvider.getSyncToken());
    void this.loop(token);
  }

  private async loop(initialToken: string | null): Promise<void> {
    let token = initialToken;
    let failures = 0;
    while (!this.halted) {
      try {
        const raw = (await this.doSync(token ?? '')) as SyncResponse;
        // A stopped client drops what its last long poll brought: a new process will fetch it.
        if (this.halted) return;
        this.handling = (async () => {
          await this.handlers!.onBatch(raw, !token);
          token = raw.next_batch;
          await Promise.resolve(this.storageProvider.setSyncToken(token));
        })();
        try {
          await this.handling;
        } finally {
          this.handling = undefined;
        }
        failures = 0;
      } catch (err) {
        if (this.halted) return;
        failures++;
        const waitMs = retryAfterOf(err) ?? backoffDelay(failures, this.backoff);
        this.handlers!.onError(err, waitMs, failures);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  override stop(): void {
    super.stop();
    this.halted = true;
    this.wake?.();
  }

  /** Resolves when the batch being handled is done (at most `timeoutMs`); a pending long poll is left to end alone. */
  async idle(timeoutMs: number): Promise<void> {
    if (!this.handling) return;
    await Promise.race([this.handling.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }
}

/** How the bot logs in. */
export interface AccountOptions {
  homeserverUrl: string;
  accessToken?: string;
  userId?: string;
  password?: string;
  /** Where a password login's token is kept. */
  store: AdapterStore;
  log: Logger;
}

/** The bot's access token and user id. */
export interface Account {
  accessToken: string;
  userId: string;
}

async function whoAmI(homeserverUrl: string, accessToken: string): Promise<string> {
  return new MatrixClient(homeserverUrl, accessToken).getUserId();
}

/**
 * The account to use: the configured access token, else the token a previous password login
 * kept in the store (while the server accepts it), else a new password login whose token is kept.
 */
export async function resolveAccount(o: AccountOptions): Promise<Account> {
  if (o.accessToken) return { accessToken: o.accessToken, userId: await whoAmI(o.homeserverUrl, o.accessToken) };
  if (!o.userId || !o.password) throw new Error('Matrix needs MATRIX_ACCESS_TOKEN, or MATRIX_USER_ID and MATRIX_PASSWORD');
  const key = `matrix:login:${o.userId}`;
  const saved = await o.store.get(key);
  if (saved) {
    try {
      return { accessToken: saved, userId: await whoAmI(o.homeserverUrl, saved) };
    } catch (err) {
      if (errcodeOf(err) !== 'M_UNKNOWN_TOKEN') throw err;
      o.log.warn({ userId: o.userId }, 'the kept Matrix access token was revoked: logging in again');
    }
  }
  const client = await new MatrixAuth(o.homeserverUrl).passwordLogin(o.userId, o.password, 'Pilote');
  await o.store.set(key, client.accessToken);
  o.log.info({ userId: o.userId }, 'logged in to Matrix; access token kept for the next starts');
  return { accessToken: client.accessToken, userId: await whoAmI(o.homeserverUrl, client.accessToken) };
}

function brief(part: unknown): string {
  const s = typeof part === 'string' ? part : part instanceof Error ? part.message : inspect(part, { depth: 2, breakLength: Infinity });
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/**
 * Sends the SDK's own log lines to Pilote's logger at debug level: the SDK logs every failed
 * request as an error, including the ones Pilote expects and handles (an absent state event),
 * and Pilote logs what matters itself. The SDK already hides tokens and passwords in them.
 */
export function routeSdkLogs(log: Logger): void {
  const line = (level: string) => (module: string, ...parts: unknown[]) => {
    if (log.isLevelEnabled('debug')) log.debug({ sdk: module, sdkLevel: level, detail: parts.map(brief) }, 'matrix-bot-sdk');
  };
  LogService.setLogger({ trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') });
  LogService.setLevel(LogLevel.WARN);
}
