/**
 * The Matrix adapter (SPEC section 3), on matrix-bot-sdk: /sync with the sync token and filter
 * kept through the core's store, invites by the rules of SPEC section 3, `!tache …` /
 * `!pilote tache …` / plain text in a direct chat, buttons as reactions plus numbered replies,
 * `m.notice` HTML messages and `m.replace` edits. Encrypted rooms are out of reach (the SDK's
 * native crypto module is replaced by a stub, see crypto-stub/): the bot says so and leaves.
 * The SDK is loaded only when the adapter starts.
 */
import type { Logger } from 'pino';
import type { Config } from '../../src/config.js';
import type { Adapter, AdapterStore, ChatAddress, InboundSink, LinkedUserCheck, OutboundMessage, SendResult } from '../../src/core/types.js';
import { DeliveryError } from '../../src/core/errors.js';
import { describe } from './errors.js';
import { serverOf } from './inbound.js';
import { matrixTexts, type MatrixLocale } from './messages.js';
import { MatrixReceiver } from './receiver.js';
import { MatrixSender } from './sender.js';
import { BotMessages, DirectRooms } from './state.js';
import { MemoryAdapterStore, StoreStorageProvider } from './storage.js';
import type { Backoff, SyncingClient } from './transport.js';

/** Options of {@link MatrixAdapter}. */
export interface MatrixAdapterOptions {
  homeserverUrl: string;
  /** The bot's access token; or `userId` + `password` to log in once and keep the token in `store`. */
  accessToken?: string;
  userId?: string;
  password?: string;
  /** Homeservers whose users may invite the bot into group rooms (`MATRIX_ALLOWED_SERVERS`). */
  allowedServers?: readonly string[];
  /** Where the sync token, filter, login token and direct rooms are kept (default: memory only). */
  store?: AdapterStore;
  /** Whether an inviter is a linked member (group-room invites). */
  isLinkedUser?: LinkedUserCheck;
  /** Language of the adapter's own sentences. */
  locale: MatrixLocale;
  log: Logger;
  /** Long-poll timeout of /sync (default 30 s). */
  syncTimeoutMs?: number;
  /** Waits after failed syncs (default 1 s doubling to 30 s). */
  backoff?: Backoff;
}

/** What the bot syncs: no presence, typing or receipts; the `m.direct` account data; 50 events per room. */
const SYNC_FILTER = {
  presence: { types: [] },
  account_data: { types: ['m.direct'] },
  room: {
    ephemeral: { types: [] },
    account_data: { types: [] },
    state: { lazy_load_members: true },
    timeline: { limit: 50 },
  },
};

interface Connection {
  client: SyncingClient;
  userId: string;
  sender: MatrixSender;
  prefix: string;
}

/** The Matrix adapter; see the module comment. */
export class MatrixAdapter implements Adapter {
  readonly platform = 'matrix' as const;
  /** One /sync loop per bot account (two would fight over the sync token): receiving is leader-elected. */
  readonly singleton = true;
  private readonly opts: MatrixAdapterOptions;
  private readonly store: AdapterStore;
  private readonly botMessages = new BotMessages();
  private connection?: Promise<Connection>;
  private userId = '';

  constructor(opts: MatrixAdapterOptions) {
    this.opts = opts;
    this.store = opts.store ?? new MemoryAdapterStore();
  }

  /** The bot's homeserver name (the server part of its user id), known once started. */
  get workspace(): string {
    return this.userId ? serverOf(this.userId) : '';
  }

  /** The bot's user id, known once started. */
  get botUserId(): string {
    return this.userId;
  }

  private connect(): Promise<Connection> {
    this.connection ??= this.open().catch((err: unknown) => {
      this.connection = undefined;
      throw err;
    });
    return this.connection;
  }

  private async open(): Promise<Connection> {
    const o = this.opts;
    const { SyncingClient, resolveAccount, routeSdkLogs } = await import('./transport.js');
    routeSdkLogs(o.log);
    if (!o.store) o.log.warn('no store for the matrix adapter: the sync token is kept in memory only');
    let account;
    try {
      account = await resolveAccount({
        homeserverUrl: o.homeserverUrl,
        store: this.store,
        log: o.log,
        ...(o.accessToken ? { accessToken: o.accessToken } : {}),
        ...(o.userId ? { userId: o.userId } : {}),
        ...(o.password ? { password: o.password } : {}),
      });
    } catch (err) {
      throw new Error(`Matrix: cannot sign in at ${o.homeserverUrl} (${describe(err)})`, { cause: err });
    }
    const prefix = `matrix:${account.userId}:`;
    const client = new SyncingClient(o.homeserverUrl, account.accessToken, new StoreStorageProvider(this.store, prefix), o.backoff ?? { minMs: 1000, maxMs: 30_000 });
    client.syncingTimeout = o.syncTimeoutMs ?? 30_000;
    this.userId = account.userId;
    const sender = new MatrixSender({ client, userId: account.userId, texts: matrixTexts(o.locale), botMessages: this.botMessages, log: o.log });
    o.log.info({ userId: account.userId }, 'matrix adapter connected');
    return { client, userId: account.userId, sender, prefix };
  }

  async startSending(): Promise<void> {
    await this.connect();
  }

  async startReceiving(sink: InboundSink): Promise<void> {
    const c = await this.connect();
    const o = this.opts;
    const direct = new DirectRooms(this.store, `${c.prefix}direct`);
    await direct.load();
    const receiver = new MatrixReceiver({
      client: c.client,
      userId: c.userId,
      workspace: this.workspace,
      sink,
      direct,
      botMessages: this.botMessages,
      allowedServers: o.allowedServers ?? [],
      texts: matrixTexts(o.locale),
      log: o.log,
      ...(o.isLinkedUser ? { isLinkedUser: o.isLinkedUser } : {}),
    });
    await c.client.startSyncing(SYNC_FILTER, {
      onBatch: (raw, initial) => receiver.handleBatch(raw, initial),
      onError: (err, waitMs, failures) =>
        o.log.warn({ err: describe(err), waitMs, failures }, 'matrix sync failed: retrying'),
    });
  }

  async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    let c: Connection;
    try {
      c = await this.connect();
    } catch (err) {
      throw new DeliveryError('retry', err instanceof Error ? err.message : String(err), { cause: err });
    }
    return c.sender.send(to, message);
  }

  async stop(): Promise<void> {
    const c = await this.connection?.catch(() => undefined);
    if (!c) return;
    c.client.stop();
    await c.client.idle(5000);
  }
}

/** The Matrix adapter for a configuration (`MATRIX_*` variables) and what the core lends it. */
export function createMatrixAdapter(
  config: Config,
  deps: { log: Logger; store?: AdapterStore; isLinkedUser?: LinkedUserCheck },
): MatrixAdapter {
  if (!config.MATRIX_HOMESERVER_URL) throw new Error('MATRIX_HOMESERVER_URL is not set');
  return new MatrixAdapter({
    homeserverUrl: config.MATRIX_HOMESERVER_URL,
    ...(config.MATRIX_ACCESS_TOKEN ? { accessToken: config.MATRIX_ACCESS_TOKEN } : {}),
    ...(config.MATRIX_USER_ID ? { userId: config.MATRIX_USER_ID } : {}),
    ...(config.MATRIX_PASSWORD ? { password: config.MATRIX_PASSWORD } : {}),
    allowedServers: config.MATRIX_ALLOWED_SERVERS,
    locale: config.DEFAULT_LOCALE,
    log: deps.log,
    ...(deps.store ? { store: deps.store } : {}),
    ...(deps.isLinkedUser ? { isLinkedUser: deps.isLinkedUser } : {}),
  });
}
