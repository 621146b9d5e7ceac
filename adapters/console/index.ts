/**
 * The console adapter (demo mode): a chat in the terminal. Typed lines are commands; a typed
 * number presses the numbered button of the last message that had buttons; `\as <user>` and
 * `\room <name>` / `\dm` switch who speaks and where. Lines are handled one at a time, each
 * waiting until its replies are printed, so piped input reads like a transcript.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { toPlain } from '../../src/core/format.js';
import type { Adapter, ChatAddress, InboundEvent, InboundSink, OutboundMessage, SendResult } from '../../src/core/types.js';
import { t, type Locale } from '../../src/i18n/index.js';

/** Options of the console adapter. */
export interface ConsoleOptions {
  input: Readable;
  output: Writable;
  /** Console user id the session starts as (a linked console identity). */
  userId: string;
  /** Language of the adapter's own few lines (unavailable service). */
  locale: Locale;
  /** Waits until an event's replies were delivered (the app's `settle`). */
  settle: (eventId: string) => Promise<void>;
  /** Called once input ended and the last line's replies are out. */
  onEnd?: () => void;
}

const DIRECT = 'direct';

/** Console adapter; see the module comment. */
export class ConsoleAdapter implements Adapter {
  readonly platform = 'console' as const;
  readonly workspace = '';
  private readonly opts: ConsoleOptions;
  private readonly session = randomBytes(4).toString('hex');
  private seq = 0;
  private userId: string;
  private chatId = DIRECT;
  /** Last message with buttons, per chat: a typed number presses one of them. */
  private readonly lastButtons = new Map<string, string>();
  private closed = false;
  private rl?: ReturnType<typeof createInterface>;
  private sink?: InboundSink;

  constructor(opts: ConsoleOptions) {
    this.opts = opts;
    this.userId = opts.userId;
  }

  async startSending(): Promise<void> {}

  async startReceiving(sink: InboundSink): Promise<void> {
    this.sink = sink;
    const rl = createInterface({ input: this.opts.input, terminal: false });
    this.rl = rl;
    const interactive = Boolean((this.opts.input as { isTTY?: boolean }).isTTY);
    const prompt = () => interactive && !this.closed && this.write(`${this.userId}${this.chatId === DIRECT ? '' : ` @${this.chatId}`} › `);
    void (async () => {
      prompt();
      for await (const line of rl) {
        if (this.closed) break;
        await this.type(line);
        prompt();
      }
      this.opts.onEnd?.();
    })();
  }

  /** Handles one typed line as if entered at the prompt; resolves once its replies are printed. */
  async type(input: string): Promise<void> {
    const sink = this.sink;
    if (!sink) throw new Error('console adapter is not receiving');
    const line = input.trim();
    if (!line || line.startsWith('#')) return;
    const meta = /^\\(\w+)\s*(.*)$/.exec(line);
    if (meta) {
      const [, cmd, arg = ''] = meta;
      if (cmd === 'as' && arg) this.userId = arg;
      else if (cmd === 'room' && arg) this.chatId = arg;
      else if (cmd === 'dm') this.chatId = DIRECT;
      else this.write('\\as <utilisateur> · \\room <salon> · \\dm\n');
      return;
    }
    const event = this.toEvent(line);
    try {
      await sink(event);
      await this.opts.settle(event.id);
    } catch {
      this.write(`${t(this.opts.locale, 'core.unavailable')}\n`);
    }
  }

  private toEvent(line: string): InboundEvent {
    const base = {
      id: `console-${this.session}-${++this.seq}`,
      chat: { platform: 'console' as const, workspace: '', chatId: this.chatId, isDirect: this.chatId === DIRECT },
      sender: { userId: this.userId },
      at: new Date().toISOString(),
    };
    const pressed = /^(\d{1,2})$/.exec(line);
    const messageId = this.lastButtons.get(this.chatId);
    if (pressed && messageId) return { ...base, kind: 'button', messageId, choice: Number(pressed[1]) - 1 };
    return { ...base, kind: 'message', text: line.replace(/^\//, ''), addressed: true };
  }

  async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    const messageId = message.editOf ?? `${this.session}-m${++this.seq}`;
    const where = to.chatId === DIRECT ? '' : `[${to.chatId}] `;
    let text = `${where}${message.editOf ? '✎ ' : ''}${toPlain(message.text)}\n`;
    const buttons = message.buttons?.flat() ?? [];
    if (buttons.length > 0) {
      text += `${buttons.map((b, i) => `  [${i + 1}] ${b.label}`).join('')}\n`;
      this.lastButtons.set(to.chatId, messageId);
    } else if (message.editOf && this.lastButtons.get(to.chatId) === messageId) {
      this.lastButtons.delete(to.chatId);
    }
    this.write(text);
    return { messageId };
  }

  private write(s: string): void {
    if (!this.opts.output.writableEnded) this.opts.output.write(s);
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.rl?.close();
  }
}
