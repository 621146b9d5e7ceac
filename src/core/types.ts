/**
 * Platform-neutral event and message types. Adapters translate their platform's events into
 * {@link InboundEvent}s and render {@link OutboundMessage}s; nothing else in Pilote knows a
 * platform's shapes.
 */

/** A chat platform Pilote speaks on, lower-case as in `PILOTE_ADAPTERS`. */
export type Platform = 'telegram' | 'slack' | 'matrix' | 'console';

/** Every platform name, in the order of the docs. */
export const PLATFORMS: readonly Platform[] = ['telegram', 'slack', 'matrix', 'console'];

/** Where a message lives: one chat on one platform, optionally one thread/topic in it. */
export interface ChatAddress {
  platform: Platform;
  /** Slack team id or Matrix homeserver; "" on Telegram and the console. */
  workspace: string;
  chatId: string;
  /** Telegram forum topic, Slack thread ts, Matrix thread root. */
  threadId?: string;
}

/** Who sent an inbound event, as the platform names them. */
export interface Sender {
  userId: string;
  displayName?: string;
  username?: string;
  /** Language the platform reports for the user (Telegram's language_code), if any. */
  locale?: string;
}

/** A platform mention the adapter already resolved to a platform user id. */
export interface PlatformMention {
  /** The text of the mention as it stands in `text` (e.g. `<@U123>` or a pill's label). */
  text: string;
  userId: string;
}

interface InboundBase {
  /**
   * Platform-unique key of the event (e.g. `telegram-<botId>-<update_id>`): the key, claimed in
   * PostgreSQL, that makes a redelivery a no-op. Only `[A-Za-z0-9._-]`.
   */
  id: string;
  chat: ChatAddress & { isDirect: boolean };
  sender: Sender;
  /** ISO 8601 time the platform says the event happened. */
  at: string;
}

/** A text message. `addressed` is true when it was meant for the bot (command prefix, DM, mention). */
export interface InboundMessage extends InboundBase {
  kind: 'message';
  /** The text with the platform's command prefix removed (`tache Réparer…` for `/tache Réparer…`). */
  text: string;
  addressed: boolean;
  mentions?: PlatformMention[];
  /** Platform id of the message this one replies to. */
  replyToMessageId?: string;
}

/**
 * A button press. Platforms that carry data with the button (Telegram, Slack) give `action`;
 * platforms without buttons (Matrix reactions, console numbers) give the bot message and the
 * chosen position, which the core maps back through the sent-message table.
 */
export interface InboundButton extends InboundBase {
  kind: 'button';
  action?: string;
  messageId?: string;
  /** 0-based position among the message's buttons (console numbers, Matrix numbered replies). */
  choice?: number;
  /** Reaction key the user put on the bot message (Matrix: `✅`, `1️⃣`…). */
  key?: string;
  /** Platform handle to acknowledge the press (Telegram callback query id). */
  pressId?: string;
}

/** Anything an adapter hands to the core. */
export type InboundEvent = InboundMessage | InboundButton;

/** One button: a label and the action it triggers (`task.done:<id>`, at most 48 bytes). */
export interface Button {
  label: string;
  action: string;
  /** Reaction standing for the button where there are no buttons (Matrix); default: its number (1️⃣…). */
  emoji?: string;
}

const KEYCAPS = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣', '6️⃣', '7️⃣', '8️⃣', '9️⃣', '🔟'];

/** The reaction key of each button of a message, in order (its emoji, else its number). */
export function buttonKeys(buttons: Button[][] | undefined): string[] {
  return (buttons?.flat() ?? []).map((b, i) => b.emoji ?? KEYCAPS[i] ?? String(i + 1));
}

/** What the sent-message table keeps per button so a later press maps back. */
export interface SentAction {
  action: string;
  key: string;
}

/**
 * A message to send. `text` uses a small markdown subset (see `core/format.ts`): `*bold*`,
 * `_italic_`, `` `code` `` and line breaks.
 */
export interface OutboundMessage {
  text: string;
  /** Rows of buttons. */
  buttons?: Button[][];
  /** Platform id of the message to reply to. */
  replyTo?: string;
  /** Replace this earlier bot message instead of sending a new one. */
  editOf?: string;
  /** Only the sender should see it (Slack ephemeral); others send it normally. */
  ephemeralFor?: string;
  /** Press acknowledgement for a button event (Telegram answerCallbackQuery toast). */
  pressAck?: { pressId: string; toast: string };
}

/** What an adapter reports after sending. */
export interface SendResult {
  /** Platform id of the (last) message sent. */
  messageId: string;
}

/** Receives normalised events from an adapter; resolves once the event is safely queued. */
export type InboundSink = (event: InboundEvent) => Promise<void>;

/**
 * Small string values an adapter keeps across restarts (Matrix sync token, filter, login
 * token), persisted by the core; adapters never reach the database themselves.
 */
export interface AdapterStore {
  /** The value under `key`, or undefined if none was set. */
  get(key: string): Promise<string | undefined>;
  /** Sets (or replaces) the value under `key`. */
  set(key: string, value: string): Promise<void>;
}

/** Asks the core whether a platform account is linked to a member (Matrix group-room invites). */
export type LinkedUserCheck = (platform: Platform, workspace: string, userId: string) => Promise<boolean>;

/** Something an adapter exposes on the shared HTTP server (webhooks). */
export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void | Promise<void>;
}

/**
 * A platform adapter: receives events and sends messages, never decides (STYLE idea 1).
 * `send` throws a {@link DeliveryError} for platform failures.
 */
export interface Adapter {
  readonly platform: Platform;
  /** Workspace this adapter instance serves (Slack team / Matrix homeserver); "" otherwise. */
  readonly workspace: string;
  /**
   * True when receiving must run in one process at a time (Telegram long polling, Matrix /sync):
   * the processes that receive then elect a leader through Redis (`src/jobs/leader.ts`), only the
   * leader calls {@link startReceiving}, and it calls {@link stop} when it loses the lease. Such an
   * adapter's `stop()` must leave sending working, and `startReceiving` must work again after it
   * (the lease can be won back). Absent or false (webhooks, Socket Mode): every process receives.
   */
  readonly singleton?: boolean;
  /** Starts receiving; events go to `sink`. Not called in worker-only processes. */
  startReceiving(sink: InboundSink): Promise<void>;
  /** Prepares sending (login, auth.test…). Called in every process that delivers. */
  startSending(): Promise<void>;
  /** Sends (or edits) a message in a chat. */
  send(to: ChatAddress, message: OutboundMessage): Promise<SendResult>;
  /**
   * Minimum time between two messages to one chat (platform rate limits: Telegram about 1/s
   * per chat and 20/min per group); the delivery worker paces each chat accordingly. 0 = none.
   */
  paceMs?(to: ChatAddress): number;
  /** HTTP routes the adapter serves on the shared server, if any. */
  routes?(): HttpRoute[];
  /** Stops receiving and releases connections. */
  stop(): Promise<void>;
}
