/**
 * An adapter for the delivery tests: it records what it is asked to send and fails the way a
 * script says (a platform's retry-after, a blocked user, a network error), so the delivery
 * worker's reactions can be checked. The real adapters are tested against fake platform servers.
 */
import { DeliveryError } from '../../src/core/errors.js';
import type { Adapter, ChatAddress, InboundSink, OutboundMessage, SendResult } from '../../src/core/types.js';

/** One scripted outcome for the next send. */
export type Outcome = 'ok' | { retryAfterMs: number } | 'unreachable' | 'permanent' | 'network';

/** See the module comment. It poses as the Telegram adapter (any platform name would do). */
export class ScriptedAdapter implements Adapter {
  readonly platform = 'telegram' as const;
  readonly workspace = '';
  readonly sent: { to: ChatAddress; message: OutboundMessage; at: number }[] = [];
  readonly attempts: { chatId: string; at: number }[] = [];
  /** Gap the delivery worker must keep between two messages to one chat (0 = none). */
  pace = 0;
  private readonly script: Outcome[] = [];
  private seq = 0;

  /** Queues outcomes for the next sends (then every send succeeds). */
  fail(...outcomes: Outcome[]): void {
    this.script.push(...outcomes);
  }

  paceMs(): number {
    return this.pace;
  }

  async startReceiving(_sink: InboundSink): Promise<void> {}
  async startSending(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(to: ChatAddress, message: OutboundMessage): Promise<SendResult> {
    this.attempts.push({ chatId: to.chatId, at: Date.now() });
    const outcome = this.script.shift() ?? 'ok';
    if (outcome === 'unreachable') throw new DeliveryError('unreachable', 'Forbidden: bot was blocked by the user');
    if (outcome === 'permanent') throw new DeliveryError('permanent', 'Bad Request: chat not found');
    if (outcome === 'network') throw new Error('socket hang up');
    if (typeof outcome === 'object') throw new DeliveryError('retry', 'Too Many Requests', { retryAfterMs: outcome.retryAfterMs });
    this.sent.push({ to, message, at: Date.now() });
    return { messageId: `m${++this.seq}` };
  }
}
