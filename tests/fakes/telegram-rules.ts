/**
 * The fake Bot API's rules, apart from its state: error answers, what a message text and an
 * inline keyboard must be, flood control, the entities a Telegram app attaches to typed text.
 */
import type { IncomingMessage } from 'node:http';
import type { InlineKeyboardMarkup, MessageEntity } from 'grammy/types';
import { parseTelegramHtml, type ParsedEntity } from './telegram-html.js';

/** An error answer of the Bot API. */
export class ApiError {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {}
}

/** Telegram's flood-control answer. */
export function tooMany(seconds: number): ApiError {
  return new ApiError(429, `Too Many Requests: retry after ${seconds}`, { retry_after: seconds });
}

/**
 * Flood control of one chat: `burst` messages go through, the next one gets 429 with
 * `retry_after`, and so does every one until that delay has passed; then `burst` again.
 */
export class Flood {
  private tokens: number;
  private bannedUntil = 0;

  constructor(
    private readonly burst: number,
    private readonly retryAfter: number,
  ) {
    this.tokens = burst;
  }

  /** Takes one message: undefined if it may go, else the 429 to answer. */
  take(now = Date.now()): ApiError | undefined {
    if (now < this.bannedUntil) return tooMany(Math.ceil((this.bannedUntil - now) / 1000));
    if (this.bannedUntil !== 0) {
      this.bannedUntil = 0;
      this.tokens = this.burst;
    }
    if (this.tokens > 0) {
      this.tokens--;
      return undefined;
    }
    this.bannedUntil = now + this.retryAfter * 1000;
    return tooMany(this.retryAfter);
  }
}

/** A message text checked like Telegram: parse mode, not empty, at most 4,096 characters after parsing. */
export function parseMessageText(p: Record<string, unknown>): { text: string; html?: string; entities: ParsedEntity[] } | ApiError {
  const raw = p.text === undefined ? '' : String(p.text);
  let text = raw;
  let entities: ParsedEntity[] = [];
  let html: string | undefined;
  if (String(p.parse_mode ?? '').toLowerCase() === 'html') {
    const parsed = parseTelegramHtml(raw);
    if (!parsed.ok) return new ApiError(400, parsed.description);
    ({ text, entities } = parsed);
    html = raw;
  } else if (p.parse_mode !== undefined) {
    return new ApiError(400, `Bad Request: unsupported parse_mode in this fake: ${String(p.parse_mode)}`);
  }
  if (text.trim().length === 0) return new ApiError(400, 'Bad Request: message text is empty');
  if (text.length > 4096) return new ApiError(400, 'Bad Request: message is too long');
  return { text, ...(html !== undefined ? { html } : {}), entities };
}

/** Checks an inline keyboard like Telegram: button text, callback data of 1-64 bytes. */
export function checkMarkup(raw: unknown): InlineKeyboardMarkup | undefined | ApiError {
  if (raw === undefined || raw === null) return undefined;
  const markup = (typeof raw === 'string' ? JSON.parse(raw) : raw) as InlineKeyboardMarkup;
  if (!Array.isArray(markup.inline_keyboard)) return new ApiError(400, 'Bad Request: only inline keyboards are supported by this fake');
  for (const row of markup.inline_keyboard) {
    for (const b of row) {
      if (!b.text) return new ApiError(400, 'Bad Request: text buttons are unallowed in the inline keyboard');
      if ('callback_data' in b) {
        const bytes = Buffer.byteLength(String(b.callback_data), 'utf8');
        if (bytes < 1 || bytes > 64) return new ApiError(400, 'Bad Request: BUTTON_DATA_INVALID');
      }
    }
  }
  return markup;
}

/** Key of a command list: its scope and language (`default|` is the default list). */
export function commandsKey(p: Record<string, unknown>): string {
  const scope = (p.scope as { type?: string } | undefined)?.type ?? 'default';
  return `${scope}|${p.language_code === undefined ? '' : String(p.language_code)}`;
}

/** The entities Telegram's apps attach to what a user types: a leading command, @mentions. */
export function userEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  const command = /^\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?/.exec(text);
  if (command) entities.push({ type: 'bot_command', offset: 0, length: command[0].length });
  for (const m of text.matchAll(/(^|[^A-Za-z0-9_/])(@[A-Za-z][A-Za-z0-9_]{3,31})/g)) {
    entities.push({ type: 'mention', offset: m.index! + m[1]!.length, length: m[2]!.length });
  }
  return entities;
}

/** Whether a bot in privacy mode sees a group message: commands for it, mentions of it, replies to it. */
export function visibleInPrivacyMode(botUsername: string, text: string, entities: MessageEntity[], repliesToBot: boolean): boolean {
  if (repliesToBot) return true;
  const me = botUsername.toLowerCase();
  return entities.some((e) => {
    const word = text.slice(e.offset, e.offset + e.length).toLowerCase();
    if (e.type === 'mention') return word === `@${me}`;
    if (e.type === 'bot_command') return !word.includes('@') || word.endsWith(`@${me}`);
    return false;
  });
}

/** Reads a Bot API request's parameters (JSON or form-encoded body). */
export async function readPayload(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  if (!body) return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  if (type.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries([...new URLSearchParams(body)].map(([k, v]) => [k, /^[[{]/.test(v) ? JSON.parse(v) : v]));
  }
  return {};
}
