/**
 * Bolt receiver for Slack's Socket Mode: the WebSocket that Slack opens for the app token
 * (`@slack/socket-mode`), with each envelope acknowledged only once its event is in the ingress
 * of the inbound queue, as the HTTP receiver answers (`held.ts`). Bolt's own Socket Mode receiver
 * acknowledges an Events API envelope before the listeners run, so a DM or a mention that came
 * while Redis was down was lost; left unacknowledged, Slack sends it again (after 3 s, then a
 * minute, then five), and the event's key in PostgreSQL keeps a second copy from counting twice.
 */
import type { App, Receiver } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import type { Logger } from 'pino';
import { t, type Locale } from '../../src/i18n/index.js';
import { runHeld } from './held.js';
import { boltLogger } from './logger.js';

/** Options of {@link SlackSocketReceiver}. */
export interface SlackSocketReceiverOptions {
  /** App-level token (`xapp-…`). */
  appToken: string;
  /** Web API root, where `apps.connections.open` gives the socket's address. */
  slackApiUrl: string;
  logger: Logger;
  /** Language of the "unavailable" answer to a slash command. */
  locale: Locale;
  /** Past this, stop waiting for the listeners (Slack sends the envelope again at 3 s). */
  ackTimeoutMs?: number;
}

/** What the Socket Mode client hands over for each envelope. */
interface SocketEnvelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id: string;
  type: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

/** The Socket Mode receiver; see the module comment. */
export class SlackSocketReceiver implements Receiver {
  /** The Socket Mode client (connected between `start` and `stop`). */
  readonly client: SocketModeClient;
  private app?: App;
  private readonly opts: SlackSocketReceiverOptions & { ackTimeoutMs: number };

  constructor(opts: SlackSocketReceiverOptions) {
    this.opts = { ackTimeoutMs: 2500, ...opts };
    this.client = new SocketModeClient({ appToken: opts.appToken, logger: boltLogger(opts.logger), clientOptions: { slackApiUrl: opts.slackApiUrl } });
    this.client.on('slack_event', (envelope: SocketEnvelope) => {
      void this.dispatch(envelope).catch((err: unknown) => this.opts.logger.warn({ err, envelope: envelope.envelope_id }, 'slack: could not answer an envelope'));
    });
  }

  /** Called by Bolt's App constructor. */
  init(app: App): void {
    this.app = app;
  }

  /** Opens the socket. */
  async start(): Promise<void> {
    await this.client.start();
  }

  /** Closes the socket. */
  async stop(): Promise<void> {
    await this.client.disconnect();
  }

  private async dispatch(envelope: SocketEnvelope): Promise<void> {
    const app = this.app;
    if (!app) return; // not acknowledged: Slack sends it again
    const { body } = envelope;
    const held = await runHeld(app, body, { timeoutMs: this.opts.ackTimeoutMs, logger: this.opts.logger, retryNum: envelope.retry_num, retryReason: envelope.retry_reason });
    if (held.queued) {
      await envelope.ack(held.response === undefined || held.response === null ? undefined : (held.response as Record<string, unknown>));
      return;
    }
    // An event comes back when left unacknowledged; a slash command gets a short answer instead.
    if (typeof body.command === 'string') await envelope.ack({ response_type: 'ephemeral', text: t(this.opts.locale, 'core.unavailable') });
  }
}
