/**
 * A fake Telegram Bot API server for tests, on 127.0.0.1, that grammY talks to over HTTP
 * (`client.apiRoot`). It behaves like Telegram where Pilote depends on it:
 *
 * - `getUpdates`: `offset` confirms (forgets) every update below it, `limit`, a long-poll
 *   `timeout` that returns as soon as an update arrives, `update_id`s that only grow, 409 while
 *   a webhook is set or when a newer `getUpdates` call replaces a waiting one;
 * - `setWebhook` / `deleteWebhook` / `getWebhookInfo`: updates are POSTed one at a time, in
 *   order, with `X-Telegram-Bot-Api-Secret-Token`, and posted again until the bot answers 2xx;
 * - `sendMessage` / `editMessageText` / `editMessageReplyMarkup`: HTML parsed and refused like
 *   Telegram (unknown or unbalanced tags, unescaped `<`/`&`), 4,096 characters after parsing,
 *   callback data of 1-64 bytes, "message is not modified", edits without `reply_markup`
 *   removing the keyboard, forum topics (`message_thread_id`), replies;
 * - `answerCallbackQuery` (once per query, within a short life), `setMyCommands` /
 *   `getMyCommands` per scope and language, `getMe`;
 * - failures: flood control (429 with `retry_after`, and 429 again until it has elapsed),
 *   403 for a user who blocked the bot or a group that removed it, injected network errors,
 *   calls that never answer and 5xx, 401 for a wrong token; privacy mode (in groups the bot only sees commands, mentions
 *   and replies to itself).
 *
 * Test code plays the users with {@link FakeTelegram.userSends} and {@link FakeTelegram.press},
 * and inspects {@link FakeTelegram.calls}, the chats' messages and the answered queries.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BotCommand, Chat, InlineKeyboardMarkup, Message, Update, User } from 'grammy/types';
import type { ParsedEntity } from './telegram-html.js';
import { ApiError, checkMarkup, commandsKey, Flood, parseMessageText, readPayload, userEntities, visibleInPrivacyMode } from './telegram-rules.js';

/** Options of {@link FakeTelegram.start}. */
export interface FakeTelegramOptions {
  token?: string;
  bot?: { id: number; username: string; first_name?: string };
  /** Privacy mode of the bot in groups (Telegram's default: on). */
  privacy?: boolean;
  /** How long a callback query may be answered (ms). */
  callbackTtlMs?: number;
  /** Wait before posting an update again after the webhook failed (ms). */
  webhookRetryMs?: number;
}

/** One API call as the fake saw it and answered it. */
export interface ApiCall {
  method: string;
  payload: Record<string, unknown>;
  at: number;
  status: number;
  description?: string;
}

/** A message in a chat (users' and the bot's), as the fake keeps it. */
export interface StoredMessage {
  message_id: number;
  chatId: number;
  fromBot: boolean;
  from: User;
  date: number;
  /** Visible text (entities decoded). */
  text: string;
  /** The HTML the bot sent, if it did. */
  html?: string;
  entities: ParsedEntity[];
  reply_markup?: InlineKeyboardMarkup;
  message_thread_id?: number;
  reply_to_message_id?: number;
  edits: number;
}

/** A webhook POST and the bot's answer. */
export interface WebhookDelivery {
  updateId: number;
  status: number;
  at: number;
}

/** A failure to inject into the next matching calls. */
export interface Fault {
  method: string;
  times: number;
  /** `network`: the connection is cut; `hang`: no answer ever comes; otherwise an HTTP answer. */
  kind: 'network' | 'hang' | { status: number; description: string; parameters?: { retry_after?: number; migrate_to_chat_id?: number }; html?: boolean };
}

interface Query {
  from: User;
  at: number;
  data: string;
  answered?: { text?: string; at: number };
}

interface Waiter {
  respond: (status: number, body: unknown) => void;
  timer: NodeJS.Timeout;
  offset: number | undefined;
  limit: number;
}

/** Telegram's method names are case-insensitive. */
const SENDING = new Set(['sendmessage', 'editmessagetext', 'editmessagereplymarkup']);

/** The fake server; see the module comment. */
export class FakeTelegram {
  readonly token: string;
  readonly bot: User & { username: string };
  /** Root to give grammY (`client.apiRoot`). */
  apiRoot = '';
  /** Every call, in order. */
  readonly calls: ApiCall[] = [];
  /** Every webhook POST, in order. */
  readonly webhookDeliveries: WebhookDelivery[] = [];
  privacy: boolean;
  webhook?: { url: string; secret?: string; allowed_updates?: string[] };
  private server!: Server;
  private readonly opts: FakeTelegramOptions;
  private nextUpdateId = 700_000 + Math.floor(Math.random() * 100_000);
  private pending: Update[] = [];
  private allowedUpdates?: string[];
  private waiter?: Waiter;
  private readonly chats = new Map<number, Chat & { is_forum?: boolean }>();
  private readonly messages = new Map<number, StoredMessage[]>();
  private readonly topics = new Map<number, Map<number, string>>();
  private readonly queries = new Map<string, Query>();
  private readonly blocked = new Set<number>();
  private readonly kicked = new Set<number>();
  private readonly floods = new Map<number, Flood>();
  private faults: Fault[] = [];
  private readonly commands = new Map<string, BotCommand[]>();
  private pushing = false;
  private closed = false;

  private constructor(opts: FakeTelegramOptions) {
    this.opts = opts;
    const bot = opts.bot ?? { id: 7_100_200_300, username: 'PiloteBot' };
    this.token = opts.token ?? `${bot.id}:AAH-fake-${randomBytes(8).toString('hex')}`;
    this.bot = { id: bot.id, is_bot: true, first_name: bot.first_name ?? 'Pilote', username: bot.username };
    this.privacy = opts.privacy ?? true;
  }

  /** Starts a fake on a free port of 127.0.0.1. */
  static async start(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(opts);
    fake.server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.apiRoot = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Stops the server and cuts every connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.waiter) clearTimeout(this.waiter.timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── The people on Telegram ──────────────────────────────────────────────────────────────

  /** A user of Telegram. */
  static user(id: number, first_name: string, extra: Partial<User> = {}): User {
    return { id, is_bot: false, first_name, ...extra };
  }

  /** The private chat of a user with the bot. */
  privateChat(user: User): Chat {
    return this.addChat({ id: user.id, type: 'private', first_name: user.first_name, ...(user.username ? { username: user.username } : {}) } as Chat);
  }

  /** A group (or supergroup, or forum) the bot is a member of. */
  group(id: number, title: string, kind: 'group' | 'supergroup' | 'forum' = 'supergroup'): Chat {
    const chat = { id, type: kind === 'group' ? 'group' : 'supergroup', title, ...(kind === 'forum' ? { is_forum: true } : {}) } as Chat;
    return this.addChat(chat);
  }

  /** Creates a forum topic; returns its `message_thread_id`. */
  createTopic(chat: Chat, name: string, by: User): number {
    const msg = this.store(chat.id, { fromBot: false, from: by, text: '' });
    let topics = this.topics.get(chat.id);
    if (!topics) this.topics.set(chat.id, (topics = new Map()));
    topics.set(msg.message_id, name);
    msg.message_thread_id = msg.message_id;
    return msg.message_id;
  }

  /**
   * A user writes in a chat. Returns the update the bot gets, or undefined when Telegram would
   * not show it to the bot (privacy mode in a group).
   */
  userSends(from: User, chat: Chat, text: string, opts: { threadId?: number; replyTo?: number } = {}): Update | undefined {
    const entities = userEntities(text);
    const stored = this.store(chat.id, { fromBot: false, from, text, ...(opts.threadId ? { message_thread_id: opts.threadId } : {}) });
    if (opts.replyTo) stored.reply_to_message_id = opts.replyTo;
    stored.entities = entities.map(({ type, offset, length }) => ({ type, offset, length }));
    const message: Message = {
      message_id: stored.message_id,
      from,
      chat: this.chats.get(chat.id)!,
      date: stored.date,
      text,
      ...(entities.length ? { entities } : {}),
    } as Message;
    if (opts.threadId) {
      Object.assign(message, { message_thread_id: opts.threadId, is_topic_message: true });
      if (!opts.replyTo) Object.assign(message, { reply_to_message: this.topicRoot(chat.id, opts.threadId) });
    }
    if (opts.replyTo) {
      const target = this.find(chat.id, opts.replyTo);
      if (target) Object.assign(message, { reply_to_message: this.toMessage(target) });
    }
    if (chat.type !== 'private' && this.privacy && !visibleInPrivacyMode(this.bot.username, text, entities, Boolean(opts.replyTo && this.find(chat.id, opts.replyTo)?.fromBot))) {
      return undefined;
    }
    return this.enqueue({ message } as Omit<Update, 'update_id'>);
  }

  /** A user presses the button labelled `label` (or at `index`) of a bot message. */
  press(from: User, chatId: number, messageId: number, label: string | number): Update {
    const msg = this.find(chatId, messageId);
    if (!msg) throw new Error(`no message ${messageId} in chat ${chatId}`);
    const buttons = msg.reply_markup?.inline_keyboard.flat() ?? [];
    const button = typeof label === 'number' ? buttons[label] : buttons.find((b) => b.text === label);
    if (!button || !('callback_data' in button)) throw new Error(`message ${messageId} has no button ${String(label)} (it has: ${buttons.map((b) => b.text).join(', ') || 'none'})`);
    const id = randomBytes(8).readBigUInt64BE().toString();
    this.queries.set(id, { from, at: Date.now(), data: button.callback_data });
    return this.enqueue({ callback_query: { id, from, message: this.toMessage(msg), chat_instance: String(chatId), data: button.callback_data } } as Omit<Update, 'update_id'>);
  }

  /** Queues the same update again (same `update_id`), as after a lost acknowledgement. */
  redeliver(update: Update): void {
    this.pending.push(update);
    this.pending.sort((a, b) => a.update_id - b.update_id);
    this.wakeUp();
  }

  /** The user blocks the bot: sending to them gets 403. */
  block(user: User): void {
    this.blocked.add(user.id);
  }

  /** The group removes the bot: sending there gets 403. */
  kick(chat: Chat): void {
    this.kicked.add(chat.id);
  }

  /**
   * Flood control for a chat: `burst` messages go through, the next one gets 429 with
   * `retry_after` and so does every one until that delay has passed; then `burst` again.
   */
  floodControl(chat: Chat | number, burst: number, retryAfter: number): void {
    const id = typeof chat === 'number' ? chat : chat.id;
    this.floods.set(id, new Flood(burst, retryAfter));
  }

  /** Makes the next `times` calls of `method` fail as `kind` says. */
  fail(method: string, kind: Fault['kind'], times = 1): void {
    this.faults.push({ method: method.toLowerCase(), kind, times });
  }

  // ── What tests look at ─────────────────────────────────────────────────────────────────

  /** Calls of one method (any case), in order. */
  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method.toLowerCase() === method.toLowerCase());
  }

  /** Every message of a chat, oldest first (optionally only the bot's). */
  messagesIn(chat: Chat | number, opts: { fromBot?: boolean; threadId?: number } = {}): StoredMessage[] {
    const id = typeof chat === 'number' ? chat : chat.id;
    return (this.messages.get(id) ?? []).filter(
      (m) => (opts.fromBot === undefined || m.fromBot === opts.fromBot) && (opts.threadId === undefined || m.message_thread_id === opts.threadId),
    );
  }

  /** The bot's messages in a chat, oldest first. */
  botMessages(chat: Chat | number, threadId?: number): StoredMessage[] {
    return this.messagesIn(chat, { fromBot: true, ...(threadId !== undefined ? { threadId } : {}) });
  }

  /** The answer given to a callback query, if any. */
  answerOf(queryId: string): { text?: string; at: number } | undefined {
    return this.queries.get(queryId)?.answered;
  }

  /** The commands registered for a language (`''` = the default list) in the default scope. */
  commandsFor(languageCode = ''): BotCommand[] | undefined {
    return this.commands.get(`default|${languageCode}`);
  }

  /** Updates not yet confirmed (polling) or not yet accepted by the webhook. */
  pendingUpdates(): readonly Update[] {
    return this.pending;
  }

  /** Resolves with `check()`'s first truthy value, polling every 20 ms; rejects after `timeoutMs`. */
  async waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value as NonNullable<T>;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ── The Bot API ────────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const payload = { ...Object.fromEntries(url.searchParams), ...(await readPayload(req)) };
    const call: ApiCall = { method: m?.[2] ?? url.pathname, payload, at: Date.now(), status: 0 };
    this.calls.push(call);
    const respond = (status: number, body: unknown) => {
      call.status = status;
      if (status !== 200) call.description = (body as { description?: string }).description;
      if (res.writableEnded || res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (!m) return respond(404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return respond(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!.toLowerCase();

    const fault = this.faults.find((f) => f.method === method && f.times > 0);
    if (fault) {
      fault.times--;
      this.faults = this.faults.filter((f) => f.times > 0);
      if (fault.kind === 'network') {
        call.status = -1;
        res.socket?.destroy();
        return;
      }
      // The request stays open until the client gives up (or the fake closes).
      if (fault.kind === 'hang') {
        call.status = -1;
        return;
      }
      const { status, description, parameters, html } = fault.kind;
      if (html) {
        call.status = status;
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end(`<html><body><h1>${status}</h1></body></html>`);
        return;
      }
      return respond(status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });
    }

    if (method === 'getupdates') return this.getUpdates(payload, respond, res);
    try {
      const result = this.call(method, payload);
      if (result instanceof ApiError) {
        return respond(result.code, { ok: false, error_code: result.code, description: result.description, ...(result.parameters ? { parameters: result.parameters } : {}) });
      }
      respond(200, { ok: true, result });
    } catch (err) {
      respond(500, { ok: false, error_code: 500, description: `Internal Server Error: ${(err as Error).message}` });
    }
  }

  private call(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case 'getme':
        return { ...this.bot, can_join_groups: true, can_read_all_group_messages: !this.privacy, supports_inline_queries: false };
      case 'sendmessage':
        return this.sendMessage(p);
      case 'editmessagetext':
        return this.editMessage(p, true);
      case 'editmessagereplymarkup':
        return this.editMessage(p, false);
      case 'answercallbackquery':
        return this.answerCallbackQuery(p);
      case 'setmycommands':
        return this.setMyCommands(p);
      case 'getmycommands':
        return this.commands.get(commandsKey(p)) ?? [];
      case 'deletemycommands':
        this.commands.delete(commandsKey(p));
        return true;
      case 'setwebhook':
        return this.setWebhook(p);
      case 'deletewebhook':
        this.webhook = undefined;
        if (p.drop_pending_updates) this.pending = [];
        return true;
      case 'getwebhookinfo':
        return { url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: this.pending.length, ...(this.webhook?.allowed_updates ? { allowed_updates: this.webhook.allowed_updates } : {}) };
      default:
        return new ApiError(404, 'Not Found');
    }
  }

  private getUpdates(p: Record<string, unknown>, respond: (status: number, body: unknown) => void, res: ServerResponse): void {
    if (this.webhook) return respond(409, { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
    const offset = p.offset === undefined ? undefined : Number(p.offset);
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100)));
    const timeout = Math.max(0, Number(p.timeout ?? 0));
    if (Array.isArray(p.allowed_updates)) this.allowedUpdates = p.allowed_updates.length ? (p.allowed_updates as string[]) : undefined;
    // A newer request replaces a waiting one, which Telegram ends with 409.
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter.respond(409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
      this.waiter = undefined;
    }
    if (offset !== undefined) this.pending = this.pending.filter((u) => u.update_id >= offset);
    const ready = this.deliverable(limit);
    if (ready.length > 0 || timeout === 0) return respond(200, { ok: true, result: ready });
    const waiter: Waiter = {
      offset,
      limit,
      respond: (status, body) => {
        if (this.waiter === waiter) this.waiter = undefined;
        respond(status, body);
      },
      timer: setTimeout(() => waiter.respond(200, { ok: true, result: this.deliverable(limit) }), timeout * 1000),
    };
    this.waiter = waiter;
    res.on('close', () => {
      if (this.waiter === waiter) {
        clearTimeout(waiter.timer);
        this.waiter = undefined;
      }
    });
  }

  /** Pending updates of the allowed kinds, oldest first (the others are dropped, as Telegram does). */
  private deliverable(limit: number): Update[] {
    if (this.allowedUpdates) {
      const allowed = this.allowedUpdates;
      this.pending = this.pending.filter((u) => Object.keys(u).some((k) => k !== 'update_id' && allowed.includes(k)));
    }
    return this.pending.slice(0, limit);
  }

  private enqueue(body: Omit<Update, 'update_id'>): Update {
    const update = { update_id: this.nextUpdateId++, ...body } as Update;
    this.pending.push(update);
    this.wakeUp();
    return update;
  }

  private wakeUp(): void {
    const w = this.waiter;
    if (w) {
      clearTimeout(w.timer);
      w.respond(200, { ok: true, result: this.deliverable(w.limit) });
    }
    if (this.webhook) void this.push();
  }

  // ── Webhook ────────────────────────────────────────────────────────────────────────────

  private setWebhook(p: Record<string, unknown>): unknown {
    const url = String(p.url ?? '');
    if (!url) {
      this.webhook = undefined;
      return true;
    }
    if (!/^https?:\/\//.test(url)) return new ApiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
    const secret = p.secret_token === undefined ? undefined : String(p.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) return new ApiError(400, 'Bad Request: secret token contains unallowed characters');
    if (p.drop_pending_updates) this.pending = [];
    const allowed = Array.isArray(p.allowed_updates) ? (p.allowed_updates as string[]) : undefined;
    if (allowed) this.allowedUpdates = allowed.length ? allowed : undefined;
    this.webhook = { url, ...(secret ? { secret } : {}), ...(allowed ? { allowed_updates: allowed } : {}) };
    void this.push();
    return true;
  }

  /** Posts pending updates to the webhook one by one, in order, until each is accepted. */
  private async push(): Promise<void> {
    if (this.pushing) return;
    this.pushing = true;
    try {
      while (!this.closed && this.webhook) {
        const [update] = this.deliverable(1);
        if (!update) break;
        const hook = this.webhook;
        let status = 0;
        try {
          const res = await fetch(hook.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(hook.secret ? { 'x-telegram-bot-api-secret-token': hook.secret } : {}) },
            body: JSON.stringify(update),
            signal: AbortSignal.timeout(10_000),
          });
          status = res.status;
          await res.arrayBuffer();
        } catch {
          status = -1;
        }
        this.webhookDeliveries.push({ updateId: update.update_id, status, at: Date.now() });
        if (status >= 200 && status < 300) this.pending = this.pending.filter((u) => u !== update);
        else await new Promise((r) => setTimeout(r, this.opts.webhookRetryMs ?? 200));
      }
    } finally {
      this.pushing = false;
    }
  }

  // ── Messages ───────────────────────────────────────────────────────────────────────────

  private sendMessage(p: Record<string, unknown>): unknown {
    const chat = this.chatFor(p.chat_id);
    if (chat instanceof ApiError) return chat;
    const denied = this.deny(chat) ?? this.floods.get(chat.id)?.take();
    if (denied) return denied;
    const parsed = parseMessageText(p);
    if (parsed instanceof ApiError) return parsed;
    const markup = checkMarkup(p.reply_markup);
    if (markup instanceof ApiError) return markup;
    const threadId = p.message_thread_id === undefined ? undefined : Number(p.message_thread_id);
    if (threadId !== undefined && (chat as { is_forum?: boolean }).is_forum && !this.topics.get(chat.id)?.has(threadId)) {
      return new ApiError(400, 'Bad Request: message thread not found');
    }
    const replyParams = p.reply_parameters as { message_id?: number; allow_sending_without_reply?: boolean } | undefined;
    const replyTo = replyParams?.message_id ?? (p.reply_to_message_id as number | undefined);
    if (replyTo !== undefined && !this.find(chat.id, Number(replyTo)) && !replyParams?.allow_sending_without_reply) {
      return new ApiError(400, 'Bad Request: message to be replied not found');
    }
    const stored = this.store(chat.id, {
      fromBot: true,
      from: this.bot,
      text: parsed.text,
      ...(parsed.html !== undefined ? { html: parsed.html } : {}),
      entities: parsed.entities,
      ...(markup ? { reply_markup: markup } : {}),
      ...(threadId !== undefined ? { message_thread_id: threadId } : {}),
      ...(replyTo !== undefined && this.find(chat.id, Number(replyTo)) ? { reply_to_message_id: Number(replyTo) } : {}),
    });
    return this.toMessage(stored);
  }

  private editMessage(p: Record<string, unknown>, withText: boolean): unknown {
    if (p.inline_message_id !== undefined) return new ApiError(400, 'Bad Request: inline messages are not supported by this fake');
    const chat = this.chatFor(p.chat_id);
    if (chat instanceof ApiError) return chat;
    const denied = this.deny(chat) ?? (withText ? this.floods.get(chat.id)?.take() : undefined);
    if (denied) return denied;
    const msg = this.find(chat.id, Number(p.message_id));
    if (!msg) return new ApiError(400, 'Bad Request: message to edit not found');
    if (!msg.fromBot) return new ApiError(400, "Bad Request: message can't be edited");
    const markup = checkMarkup(p.reply_markup);
    if (markup instanceof ApiError) return markup;
    let text = msg.text;
    let html = msg.html;
    let entities = msg.entities;
    if (withText) {
      const parsed = parseMessageText(p);
      if (parsed instanceof ApiError) return parsed;
      ({ text, entities } = parsed);
      html = parsed.html;
    }
    const sameMarkup = JSON.stringify(markup ?? null) === JSON.stringify(msg.reply_markup ?? null);
    if (text === msg.text && JSON.stringify(entities) === JSON.stringify(msg.entities) && sameMarkup) {
      return new ApiError(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    msg.text = text;
    msg.entities = entities;
    if (html !== undefined) msg.html = html;
    // Telegram drops the keyboard of an edited message unless the edit carries one.
    if (markup) msg.reply_markup = markup;
    else delete msg.reply_markup;
    msg.edits++;
    return { ...this.toMessage(msg), edit_date: Math.floor(Date.now() / 1000) };
  }

  private answerCallbackQuery(p: Record<string, unknown>): unknown {
    const query = this.queries.get(String(p.callback_query_id ?? ''));
    const ttl = this.opts.callbackTtlMs ?? 15_000;
    if (!query || query.answered || Date.now() - query.at > ttl) {
      return new ApiError(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
    }
    const text = p.text === undefined ? undefined : String(p.text);
    if (text !== undefined && text.length > 200) return new ApiError(400, 'Bad Request: MESSAGE_TOO_LONG');
    query.answered = { ...(text !== undefined ? { text } : {}), at: Date.now() };
    return true;
  }

  private setMyCommands(p: Record<string, unknown>): unknown {
    const list = p.commands;
    if (!Array.isArray(list) || list.length > 100) return new ApiError(400, 'Bad Request: commands must be an array of at most 100 commands');
    for (const c of list as BotCommand[]) {
      if (typeof c?.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) return new ApiError(400, 'Bad Request: BOT_COMMAND_INVALID');
      if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) {
        return new ApiError(400, 'Bad Request: command description must be 1-256 characters');
      }
    }
    const lang = p.language_code === undefined ? '' : String(p.language_code);
    if (lang && !/^[a-z]{2}$/.test(lang)) return new ApiError(400, 'Bad Request: invalid language code specified');
    this.commands.set(commandsKey(p), list as BotCommand[]);
    return true;
  }

  // ── Helpers ────────────────────────────────────────────────────────────────────────────

  private addChat(chat: Chat): Chat {
    const known = this.chats.get(chat.id);
    if (known) return known;
    this.chats.set(chat.id, chat);
    this.messages.set(chat.id, []);
    return chat;
  }

  private chatFor(raw: unknown): (Chat & { is_forum?: boolean }) | ApiError {
    const chat = this.chats.get(Number(raw));
    return chat ?? new ApiError(400, 'Bad Request: chat not found');
  }

  private deny(chat: Chat): ApiError | undefined {
    if (chat.type === 'private' && this.blocked.has(chat.id)) return new ApiError(403, 'Forbidden: bot was blocked by the user');
    if (chat.type !== 'private' && this.kicked.has(chat.id)) return new ApiError(403, `Forbidden: bot was kicked from the ${chat.type === 'group' ? 'group' : 'supergroup'} chat`);
    return undefined;
  }


  private store(chatId: number, m: Partial<StoredMessage> & Pick<StoredMessage, 'fromBot' | 'from' | 'text'>): StoredMessage {
    const list = this.messages.get(chatId);
    if (!list) throw new Error(`unknown chat ${chatId}`);
    const stored: StoredMessage = { message_id: list.length + 1, chatId, date: Math.floor(Date.now() / 1000), entities: [], edits: 0, ...m };
    list.push(stored);
    return stored;
  }

  private find(chatId: number, messageId: number): StoredMessage | undefined {
    return this.messages.get(chatId)?.find((m) => m.message_id === messageId);
  }

  private topicRoot(chatId: number, threadId: number): Message {
    const root = this.find(chatId, threadId);
    return {
      message_id: threadId,
      date: root?.date ?? 0,
      chat: this.chats.get(chatId)!,
      ...(root ? { from: root.from } : {}),
      message_thread_id: threadId,
      forum_topic_created: { name: this.topics.get(chatId)?.get(threadId) ?? 'topic', icon_color: 7322096 },
    } as Message;
  }

  private toMessage(m: StoredMessage): Message {
    const forum = Boolean((this.chats.get(m.chatId) as { is_forum?: boolean } | undefined)?.is_forum);
    return {
      message_id: m.message_id,
      from: m.from,
      chat: this.chats.get(m.chatId)!,
      date: m.date,
      text: m.text,
      ...(m.entities.length ? { entities: m.entities } : {}),
      ...(m.reply_markup ? { reply_markup: m.reply_markup } : {}),
      ...(m.message_thread_id !== undefined ? { message_thread_id: m.message_thread_id, ...(forum ? { is_topic_message: true } : {}) } : {}),
    } as Message;
  }
}
