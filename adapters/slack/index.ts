/**
 * The Slack adapter (Bolt). Socket Mode when an app token is given (`socket-receiver.ts`), else
 * HTTP mode on Pilote's shared server at `/slack/events` with the signing secret (`receiver.ts`);
 * either way Slack hears that an event was taken only once it is queued (`held.ts`). Events become core
 * events (`inbound.ts`, `listeners.ts`), messages render as Block Kit (`render.ts`) and are sent
 * by `sender.ts`, Web API failures become delivery errors (`errors.ts`). The Web API client never
 * retries by itself: the delivery worker does.
 */
import { App, webApi, type AuthorizeResult } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from '../../src/config.js';
import type { Adapter, ChatAddress, HttpRoute, InboundEvent, InboundSink, OutboundMessage, SendResult } from '../../src/core/types.js';
import type { Locale } from '../../src/i18n/index.js';
import { createLogger } from '../../src/logger.js';
import { slackErrorCode } from './errors.js';
import type { SlackIdentity } from './inbound.js';
import { registerListeners } from './listeners.js';
import { boltLogger } from './logger.js';
import { SlackProfiles } from './profiles.js';
import { SlackHttpReceiver } from './receiver.js';
import { SlackSender } from './sender.js';
import { SlackSocketReceiver } from './socket-receiver.js';

/** Where Slack sends events, commands and interactivity in HTTP mode. */
export const SLACK_EVENTS_PATH = '/slack/events';

/** How the adapter receives: Socket Mode (app token) or HTTP (signing secret). */
export type SlackMode = 'socket' | 'http';

/** Options of {@link SlackAdapter}. */
export interface SlackAdapterOptions {
  /** Bot token (`xoxb-…`). */
  botToken: string;
  /** App-level token (`xapp-…`): selects Socket Mode. */
  appToken?: string;
  /** Signing secret: selects HTTP mode when there is no app token. */
  signingSecret?: string;
  /** Web API root (default `https://slack.com/api/`). */
  apiUrl?: string;
  logger: Logger;
  /** Language of the adapter's own few words (queue unavailable). */
  locale?: Locale;
  /** Clock for request timestamps (ms since the epoch). */
  now?: () => number;
  /** How long to wait for a sender's profile before queuing without it. */
  profileTimeoutMs?: number;
  /** Stop waiting for an event to be queued after this (default 2500 ms; Slack gives up at 3 s). */
  ackTimeoutMs?: number;
  /** Pilote's command names and aliases: `/name` hints in replies become `/pilote name`. */
  commandNames?: readonly string[];
}

/** Picks the receiving mode from the configured secrets (SPEC section 5: app token ⇒ Socket Mode). */
export function slackMode(opts: { appToken?: string | undefined; signingSecret?: string | undefined }): SlackMode {
  if (opts.appToken) return 'socket';
  if (opts.signingSecret) return 'http';
  throw new Error('slack: set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)');
}

/** The Slack adapter; see the module comment. */
export class SlackAdapter implements Adapter {
  readonly platform = 'slack' as const;
  readonly mode: SlackMode;
  /** Web API client used to send (no retries of its own). */
  readonly client: webApi.WebClient;
  /** The Bolt app the listeners run in. */
  readonly bolt: App;
  /** Pilote's Socket Mode receiver, or its HTTP receiver. */
  readonly receiver: SlackSocketReceiver | SlackHttpReceiver;
  private readonly opts: SlackAdapterOptions;
  private readonly logger: Logger;
  private identity?: SlackIdentity;
  private identifying?: Promise<SlackIdentity>;
  private sink?: InboundSink;
  private receiving = false;
  private readonly sender: SlackSender;
  private readonly profiles: SlackProfiles;

  constructor(opts: SlackAdapterOptions) {
    this.opts = opts;
    this.logger = opts.logger.child({ adapter: 'slack' });
    this.mode = slackMode(opts);
    const log = boltLogger(this.logger);
    const slackApiUrl = (opts.apiUrl ?? 'https://slack.com/api/').replace(/\/?$/, '/');
    const clientOptions = { slackApiUrl, logger: log, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 };
    this.client = new webApi.WebClient(opts.botToken, clientOptions);
    this.sender = new SlackSender(this.client, this.logger, opts.commandNames);
    this.profiles = new SlackProfiles(this.client, this.logger, opts.profileTimeoutMs);
    const held = { logger: this.logger, locale: opts.locale ?? 'fr', ...(opts.ackTimeoutMs ? { ackTimeoutMs: opts.ackTimeoutMs } : {}) };
    this.receiver =
      this.mode === 'socket'
        ? new SlackSocketReceiver({ appToken: opts.appToken!, slackApiUrl, ...held })
        : new SlackHttpReceiver({ signingSecret: opts.signingSecret!, ...held, ...(opts.now ? { now: opts.now } : {}) });
    this.bolt = new App({
      receiver: this.receiver,
      authorize: async () => this.authorization(),
      logger: log,
      clientOptions: { ...clientOptions },
      convoStore: false,
    });
    registerListeners(this.bolt, {
      me: () => this.me(),
      submit: (event) => this.submit(event),
      sender: (userId, username) => this.profiles.sender(userId, username),
    });
  }

  /** The Slack team id once `auth.test` answered ("" before). */
  get workspace(): string {
    return this.identity?.teamId ?? '';
  }

  /** Checks the bot token with `auth.test` (once) and learns the team and the bot's ids. */
  identify(): Promise<SlackIdentity> {
    this.identifying ??= this.client.auth
      .test()
      .then((r) => {
        this.identity = { teamId: r.team_id ?? '', botUserId: r.user_id ?? '', ...(r.bot_id ? { botId: r.bot_id } : {}) };
        this.logger.info({ team: r.team_id, bot: r.user_id, mode: this.mode }, `slack: connected as @${r.user ?? '?'} to ${r.team ?? r.team_id}`);
        return this.identity;
      })
      .catch((err: unknown) => {
        this.identifying = undefined;
        const code = slackErrorCode(err);
        throw new Error(`slack: auth.test failed (${code ?? (err as Error).message}); check SLACK_BOT_TOKEN and SLACK_API_URL`, { cause: err });
      });
    return this.identifying;
  }

  private me(): SlackIdentity {
    if (!this.identity) throw new Error('slack adapter used before auth.test');
    return this.identity;
  }

  private async authorization(): Promise<AuthorizeResult> {
    const me = await this.identify();
    return { botToken: this.opts.botToken, botUserId: me.botUserId, teamId: me.teamId, ...(me.botId ? { botId: me.botId } : {}) };
  }

  private async submit(event: InboundEvent): Promise<void> {
    if (!this.sink) throw new Error('slack adapter is not receiving');
    await this.sink(event);
  }

  async startSending(): Promise<void> {
    await this.identify();
  }

  async startReceiving(sink: InboundSink): Promise<void> {
    await this.identify();
    this.sink = sink;
    await this.bolt.start();
    this.receiving = true;
  }

  routes(): HttpRoute[] {
    return this.receiver instanceof SlackHttpReceiver ? [this.receiver.route(SLACK_EVENTS_PATH)] : [];
  }

  async stop(): Promise<void> {
    if (!this.receiving) return;
    this.receiving = false;
    await this.bolt.stop();
  }

  async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    return this.sender.send(to, message);
  }
}

/** Builds the Slack adapter from Pilote's configuration (SLACK_* variables). */
export function createSlackAdapter(
  config: Config,
  logger: Logger = createLogger(config.LOG_LEVEL),
  commandNames: readonly string[] = [],
): SlackAdapter {
  if (!config.SLACK_BOT_TOKEN) throw new Error('slack: SLACK_BOT_TOKEN is required');
  return new SlackAdapter({
    botToken: config.SLACK_BOT_TOKEN,
    ...(config.SLACK_APP_TOKEN ? { appToken: config.SLACK_APP_TOKEN } : {}),
    ...(config.SLACK_SIGNING_SECRET ? { signingSecret: config.SLACK_SIGNING_SECRET } : {}),
    apiUrl: config.SLACK_API_URL,
    logger,
    locale: config.DEFAULT_LOCALE,
    commandNames,
  });
}
