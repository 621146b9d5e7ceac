/**
 * The Telegram adapter (grammY). Receives updates by long polling (default) or on a webhook of
 * the shared HTTP server, hands them to the ingress of the `inbound` queue as core events, and
 * sends core messages as HTML with inline keyboards. grammY's `Bot` holds the API client
 * (`bot.api`); the update loop is Pilote's own so that an update is acknowledged only once it is
 * queued.
 */
import { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import type { Config } from '../../src/config.js';
import type { Adapter, ChatAddress, HttpRoute, InboundEvent, InboundSink, OutboundMessage, SendResult } from '../../src/core/types.js';
import { commandMenu, type MenuCommand } from './commands.js';
import { ALLOWED_UPDATES, toInboundEvent, type BotIdentity } from './mapping.js';
import { Poller } from './polling.js';
import { PressTracker } from './presses.js';
import { CALL_TIMEOUT_MS, TelegramSender } from './sender.js';
import { webhookHandler } from './webhook.js';

/** Bot API root when none is configured. */
export const DEFAULT_API_ROOT = 'https://api.telegram.org';

/** Options of {@link TelegramAdapter}. */
export interface TelegramOptions {
  token: string;
  /** Bot API root (a local Bot API server, a test fake); no trailing slash needed. */
  apiRoot?: string;
  /** Webhook mode: the public URL Telegram posts to (its path is served) and the secret it sends. */
  webhook?: { url: string; secret: string };
  /** Commands registered with `setMyCommands` at start (the router's `commands`). */
  commands?: readonly MenuCommand[];
  logger?: Logger;
  /** Long-poll timeout in seconds (default 30). */
  pollTimeoutSeconds?: number;
  /** Backoff after a failed poll or a queue that is down (default 0.5 s doubling to 30 s). */
  backoffMs?: { min: number; max: number };
  /** How long a press may wait for the core's toast before it is answered without one (ms). */
  pressFallbackMs?: number;
  /**
   * Minimum gap between two messages to one chat (Telegram: about 1 message per second in a
   * private chat, 20 per minute in a group). Default { private: 1000, group: 3000 }.
   */
  pacing?: { privateMs: number; groupMs: number };
  /** The longest one Bot API call of a send may take, in ms (default {@link CALL_TIMEOUT_MS}). */
  callTimeoutMs?: number;
  clock?: () => Date;
}

/** Telegram's limits per chat (SPEC section 3). */
export const TELEGRAM_PACING = { privateMs: 1000, groupMs: 3000 } as const;

/** Telegram adapter; see the module comment. */
export class TelegramAdapter implements Adapter {
  readonly platform = 'telegram' as const;
  readonly workspace = '';
  /** The grammY bot; only its API client is used. */
  readonly bot: Bot;
  private readonly opts: TelegramOptions;
  private readonly presses: PressTracker;
  private readonly sender: TelegramSender;
  private me?: Promise<BotIdentity>;
  private sink?: InboundSink;
  private poller?: Poller;

  constructor(opts: TelegramOptions) {
    this.opts = opts;
    const apiRoot = (opts.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, '');
    this.bot = new Bot(opts.token, { client: { apiRoot } });
    this.presses = new PressTracker(this.bot.api, opts.pressFallbackMs);
    this.sender = new TelegramSender(this.bot.api, this.presses, opts.callTimeoutMs);
  }

  /** Long polling is one loop per bot (Telegram answers 409 to a second poller); a webhook takes any number of receivers. */
  get singleton(): boolean {
    return !this.opts.webhook;
  }

  /** Group and supergroup chat ids are negative; private chats positive. */
  paceMs(to: ChatAddress): number {
    const pacing = this.opts.pacing ?? TELEGRAM_PACING;
    return to.chatId.startsWith('-') ? pacing.groupMs : pacing.privateMs;
  }

  /** The bot's id and username (one `getMe`, then remembered). */
  identity(): Promise<BotIdentity> {
    this.me ??= this.bot.init().then(
      () => ({ id: this.bot.botInfo.id, username: this.bot.botInfo.username }),
      (err: unknown) => {
        this.me = undefined;
        throw err;
      },
    );
    return this.me;
  }

  async startSending(): Promise<void> {
    await this.identity();
  }

  async startReceiving(sink: InboundSink): Promise<void> {
    const { api } = this.bot;
    const log = this.opts.logger;
    const me = await this.identity();
    await this.registerCommands();
    const webhook = this.opts.webhook;
    if (webhook) {
      await api.setWebhook(webhook.url, { secret_token: webhook.secret, allowed_updates: [...ALLOWED_UPDATES] });
      this.sink = sink;
      log?.info({ bot: me.username, path: new URL(webhook.url).pathname }, 'telegram: receiving by webhook');
      return;
    }
    // getUpdates is refused while a webhook is set (the updates waiting for it are kept).
    await api.deleteWebhook({ drop_pending_updates: false });
    this.sink = sink;
    this.poller = new Poller({
      api,
      deliver: (update) => this.deliver(update),
      ...(log ? { logger: log } : {}),
      ...(this.opts.pollTimeoutSeconds !== undefined ? { timeoutSeconds: this.opts.pollTimeoutSeconds } : {}),
      ...(this.opts.backoffMs ? { backoffMs: this.opts.backoffMs } : {}),
    });
    this.poller.start();
    log?.info({ bot: me.username }, 'telegram: receiving by long polling');
  }

  /** Registers the command menu in French (default) and English; a failure only costs the menu. */
  private async registerCommands(): Promise<void> {
    const commands = this.opts.commands;
    if (!commands?.length) return;
    try {
      await this.bot.api.setMyCommands(commandMenu(commands, 'fr'));
      await this.bot.api.setMyCommands(commandMenu(commands, 'en'), { language_code: 'en' });
    } catch (err) {
      this.opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'telegram: setMyCommands failed');
    }
  }

  /** Turns one update into a core event and queues it; throws when the queue refused it. */
  private async deliver(update: Update): Promise<void> {
    const sink = this.sink;
    if (!sink) throw new Error('telegram adapter is not receiving');
    const me = await this.identity();
    if (update.callback_query) this.presses.received(update.callback_query.id);
    let event: InboundEvent | undefined;
    try {
      event = toInboundEvent(update, me, this.opts.clock?.() ?? new Date());
    } catch (err) {
      // An update we cannot read is skipped, not retried: it would block every later one.
      this.opts.logger?.error({ err, updateId: update.update_id }, 'telegram: unreadable update skipped');
      return;
    }
    if (event) await sink(event);
  }

  send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    return this.sender.send(to, message);
  }

  routes(): HttpRoute[] {
    const webhook = this.opts.webhook;
    if (!webhook) return [];
    const handler = webhookHandler({
      secret: webhook.secret,
      deliver: () => (this.sink ? (update: Update) => this.deliver(update) : undefined),
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
    });
    return [{ method: 'POST', path: new URL(webhook.url).pathname, handler }];
  }

  /** Stops receiving (the webhook stays set, so Telegram keeps updates until the next start). */
  async stop(): Promise<void> {
    await this.poller?.stop();
    this.poller = undefined;
    this.sink = undefined;
    this.presses.clear();
  }
}

/** Builds the adapter from Pilote's configuration (webhook mode when both webhook variables are set). */
export function createTelegramAdapter(config: Config, extra: Pick<TelegramOptions, 'commands' | 'logger'> = {}): TelegramAdapter {
  if (!config.TELEGRAM_BOT_TOKEN) throw new Error('TELEGRAM_BOT_TOKEN is not set');
  return new TelegramAdapter({
    token: config.TELEGRAM_BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    ...(config.TELEGRAM_WEBHOOK_URL && config.TELEGRAM_WEBHOOK_SECRET
      ? { webhook: { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET } }
      : {}),
    ...extra,
  });
}
